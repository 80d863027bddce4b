"""The gate policy: internal runs at once, gated waits, four-eyes, nobody approves their own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from approvals.errors import InvalidTransition, NotPermitted
from approvals.models import Decision, Execution, Status
from approvals.services import proposal_approve, proposal_create
from brand.models import Document

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def test_internal_action_is_approved_by_policy_and_executed_at_once(committed):
    proposal = committed(
        proposal_create,
        action_type="brief.draft",
        args={"title": "Summer creative", "body": "Sunny kitchen shots"},
        division="creative",
        rationale="The summer launch needs a brief",
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.actor_label, decision.verdict, decision.via, decision.user) == (
        "policy",
        "approve",
        "policy",
        None,
    )
    assert Document.objects.filter(title="Summer creative", kind="brief").count() == 1
    assert Execution.objects.get(proposal=proposal).ok


def test_gated_action_waits_pending_with_expiry(campaign, committed):
    proposal = committed(budget_proposal, campaign)
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert proposal.expires_at is not None
    assert proposal.category == "spend"
    assert proposal.preview == "Daily budget of Spring Sale (Meta): $120 -> $80"
    assert proposal.money_at_stake == Decimal("280.00")  # |80 - 120| x 7 days
    assert proposal.basis == {f"brand.adcampaign:{campaign.pk}": {"daily_budget": "120.00", "status": "active"}}
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("120.00")
    assert not Decision.objects.exists()


def test_one_approval_executes_below_four_eyes(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign)
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert campaign.daily_budget == Decimal("80.00")
    execution = Execution.objects.get(proposal=proposal)
    assert execution.idempotency_key == f"proposal-{proposal.pk}"
    assert "user:growth_approver" in execution.actor_label


def test_four_eyes_needs_two_people_one_a_director(campaign, growth_approver, growth_director, owner, committed):
    proposal = budget_proposal(campaign, "400.00")  # (400 - 120) x 7 = 1960 > 1000
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    with pytest.raises(InvalidTransition, match="already approved"):
        proposal_approve(proposal=proposal, user=growth_approver)
    committed(proposal_approve, proposal=proposal, user=growth_director)
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert campaign.daily_budget == Decimal("400.00")


def test_four_eyes_two_approvers_without_a_director_wait(campaign, growth_approver, committed):
    from divisions.models import Role
    from tests.factories import MembershipFactory, UserFactory, division

    second = MembershipFactory(
        user=UserFactory(username="growth_approver2"), division=division("growth"), role=Role.APPROVER
    ).user
    proposal = budget_proposal(campaign, "400.00")
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    committed(proposal_approve, proposal=proposal, user=second)
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("120.00")


def test_proposer_cannot_approve_own_proposal(campaign, growth_director, growth_approver, committed):
    proposal = budget_proposal(campaign, proposed_by=growth_director)
    with pytest.raises(NotPermitted, match="proposed it"):
        proposal_approve(proposal=proposal, user=growth_director)
    assert not Decision.objects.filter(proposal=proposal).exists()
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
