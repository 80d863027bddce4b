"""`open_twin` / `busy_targets`: the one answer to "is this already proposed?"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals.errors import InvalidArguments, UnknownActionType
from approvals.models import ProposedAction, Status
from approvals.selectors import busy_targets, open_twin
from approvals.services import proposal_create, proposal_reject
from tests.approvals.factories import budget_proposal
from tests.factories import AdCampaignFactory

pytestmark = pytest.mark.django_db


def test_the_same_normalised_arguments_are_the_twin(campaign):
    first = budget_proposal(campaign, "80.00")
    # The type normalises the arguments first: "80" for an id given as text is the same budget.
    assert (
        open_twin(action_type="ads.set_daily_budget", args={"campaign_id": str(campaign.pk), "daily_budget": 80})
        == first
    )
    # Another amount on the same campaign is other work; the campaign is busy all the same.
    assert (
        open_twin(action_type="ads.set_daily_budget", args={"campaign_id": campaign.pk, "daily_budget": "90"}) is None
    )
    assert busy_targets(action_type="ads.set_daily_budget") == {f"campaign:{campaign.pk}"}
    other = AdCampaignFactory(name="Evergreen", daily_budget=Decimal("50"))
    assert open_twin(action_type="ads.set_daily_budget", args={"campaign_id": other.pk, "daily_budget": "80"}) is None
    # Another type on the same campaign is other work.
    assert open_twin(action_type="ads.pause_campaign", args={"campaign_id": campaign.pk}) is None


@pytest.mark.parametrize("status", [Status.PENDING, Status.APPROVED, Status.EXECUTING])
def test_in_flight_statuses_are_open(campaign, status):
    first = budget_proposal(campaign)
    ProposedAction.objects.filter(pk=first.pk).update(status=status)
    assert open_twin(action_type="ads.set_daily_budget", args={"campaign_id": campaign.pk, "daily_budget": "80.00"})


@pytest.mark.parametrize(
    "status", [Status.REJECTED, Status.SENT_BACK, Status.EXPIRED, Status.CANCELLED, Status.FAILED, Status.EXECUTED]
)
def test_decided_gated_work_is_not_open(campaign, status):
    first = budget_proposal(campaign)
    ProposedAction.objects.filter(pk=first.pk).update(status=status)
    assert (
        open_twin(action_type="ads.set_daily_budget", args={"campaign_id": campaign.pk, "daily_budget": "70"}) is None
    )
    assert busy_targets(action_type="ads.set_daily_budget") == set()


def test_a_rejected_proposal_may_be_proposed_again(campaign, growth_approver):
    first = budget_proposal(campaign)
    proposal_reject(proposal=first, user=growth_approver, reason="not now")
    assert (
        open_twin(action_type="ads.set_daily_budget", args={"campaign_id": campaign.pk, "daily_budget": "80"}) is None
    )


def test_internal_work_done_today_is_still_a_twin(committed):
    args = {"title": "Weekly pacing", "body": "All channels on plan."}
    report = committed(proposal_create, action_type="report.publish", args=args, division="finance", rationale="weekly")
    report.refresh_from_db()
    assert report.status == Status.EXECUTED  # internal: approved by policy and executed at once
    assert open_twin(action_type="report.publish", args=args) == report
    later = timezone.now() + dt.timedelta(hours=21)
    assert open_twin(action_type="report.publish", args=args, now=later) is None


def test_one_agents_twins_only(campaign):
    budget_proposal(campaign, agent_key="finance.budget_guard", division="finance")
    args = {"campaign_id": campaign.pk, "daily_budget": "80.00"}
    assert open_twin(action_type="ads.set_daily_budget", args=args, agent_key="finance.budget_guard")
    assert open_twin(action_type="ads.set_daily_budget", args=args, agent_key="growth.paid_media") is None


def test_busy_targets_name_what_open_proposals_act_on(campaign):
    budget_proposal(campaign)
    assert busy_targets(action_type="ads.set_daily_budget") == {f"campaign:{campaign.pk}"}
    assert busy_targets(action_type="ads.set_daily_budget", agent_key="someone.else") == set()


def test_unknown_types_and_bad_arguments_raise_like_proposing_would(campaign):
    with pytest.raises(UnknownActionType):
        open_twin(action_type="ads.nope", args={})
    with pytest.raises(InvalidArguments, match="daily_budget"):
        open_twin(action_type="ads.set_daily_budget", args={"campaign_id": campaign.pk, "daily_budget": "-5"})
