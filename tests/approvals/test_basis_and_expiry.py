"""Stale basis (at approval and at execution) and expiry: both fail closed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals.errors import InvalidTransition, StaleBasis
from approvals.executor import proposal_execute
from approvals.models import Decision, Execution, ProposedAction, Status
from approvals.services import proposal_approve, proposals_expire

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def test_stale_at_approval_when_the_budget_moved_since(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    campaign.daily_budget = Decimal("150.00")
    campaign.save()
    with pytest.raises(StaleBasis, match=r"daily_budget: 120\.00 -> 150\.00"):
        proposal_approve(proposal=proposal, user=growth_approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.STALE
    assert not Decision.objects.exists()
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("150.00")


def test_stale_at_execution_when_the_budget_moved_after_approval(campaign, growth_approver, settings):
    settings.ATLAS_EXECUTE_SYNC = False
    proposal = proposal_approve(proposal=budget_proposal(campaign), user=growth_approver)
    assert proposal.status == Status.APPROVED
    campaign.daily_budget = Decimal("95.00")
    campaign.save()
    execution = proposal_execute(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.STALE
    assert "daily_budget: 120.00 -> 95.00" in proposal.status_reason
    assert execution is not None and not execution.ok
    assert campaign.daily_budget == Decimal("95.00")


def test_pending_proposals_expire_and_fail_closed(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    fresh = budget_proposal(campaign, "70.00")
    ProposedAction.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert proposals_expire() == 1
    proposal.refresh_from_db()
    assert proposal.status == Status.EXPIRED
    assert ProposedAction.objects.get(pk=fresh.pk).status == Status.PENDING
    with pytest.raises(InvalidTransition, match="expired, not pending"):
        proposal_approve(proposal=proposal, user=growth_approver)
    assert proposal_execute(proposal_id=proposal.pk) is None
    assert not Execution.objects.exists()


def test_approving_past_expiry_before_the_sweeper_ran_fails_closed(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    ProposedAction.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidTransition, match="expired"):
        proposal_approve(proposal=proposal, user=growth_approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXPIRED
    assert not Decision.objects.exists()
