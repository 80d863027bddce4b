"""Decisions: who may decide, what each verdict needs, and bad input that changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from approvals import hooks
from approvals.errors import InvalidArguments, InvalidTransition, NotPermitted, UnknownActionType
from approvals.models import Decision, Execution, ProposedAction, Status
from approvals.selectors import proposals_decidable_by, proposals_visible_to
from approvals.services import (
    proposal_approve,
    proposal_cancel,
    proposal_create,
    proposal_edit_approve,
    proposal_hold,
    proposal_reject,
    proposal_release,
    proposal_send_back,
)

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _snapshot(proposal):
    proposal = ProposedAction.objects.get(pk=proposal.pk)
    return (
        proposal.status,
        proposal.args,
        Decision.objects.count(),
        Execution.objects.count(),
        proposal.history.count(),
    )


@pytest.mark.parametrize("persona", ["growth_viewer", "outsider", "finance_approver"])
def test_people_without_a_deciding_role_in_the_division_cannot_decide(persona, request, campaign):
    user = request.getfixturevalue(persona)
    proposal = budget_proposal(campaign)
    before = _snapshot(proposal)
    for call in (
        lambda: proposal_approve(proposal=proposal, user=user),
        lambda: proposal_reject(proposal=proposal, user=user, reason="no"),
        lambda: proposal_send_back(proposal=proposal, user=user, comment="redo"),
        lambda: proposal_edit_approve(
            proposal=proposal, user=user, args={"campaign_id": campaign.pk, "daily_budget": "90"}
        ),
    ):
        with pytest.raises(NotPermitted, match="approver or director"):
            call()
    assert _snapshot(proposal) == before


def test_visibility_is_scoped_by_division(campaign, growth_viewer, finance_director, owner, growth_approver):
    proposal = budget_proposal(campaign)
    assert list(proposals_visible_to(growth_viewer)) == [proposal]
    assert list(proposals_visible_to(finance_director)) == []
    assert list(proposals_visible_to(owner)) == [proposal]
    assert list(proposals_decidable_by(growth_viewer)) == []
    assert list(proposals_decidable_by(growth_approver)) == [proposal]


def test_unknown_action_type_and_bad_arguments_write_nothing(campaign):
    with pytest.raises(UnknownActionType, match=r"ads\.launch_rocket"):
        proposal_create(action_type="ads.launch_rocket", args={}, division="growth", rationale="why not")
    with pytest.raises(InvalidArguments, match=r"campaign_id=999999: .*no ad campaign with id 999999"):
        proposal_create(
            action_type="ads.set_daily_budget",
            args={"campaign_id": 999999, "daily_budget": "50"},
            division="growth",
            rationale="r",
        )
    with pytest.raises(InvalidArguments, match=r"daily_budget='lots'"):
        proposal_create(
            action_type="ads.set_daily_budget",
            args={"campaign_id": campaign.pk, "daily_budget": "lots"},
            division="growth",
            rationale="r",
        )
    with pytest.raises(InvalidArguments, match="division='marketing-ops'"):
        proposal_create(
            action_type="ads.set_daily_budget",
            args={"campaign_id": campaign.pk, "daily_budget": "50"},
            division="marketing-ops",
            rationale="r",
        )
    assert not ProposedAction.objects.exists()
    assert not ProposedAction.history.exists()


def test_decision_on_a_proposal_that_is_not_pending_changes_nothing(campaign, growth_approver, growth_director):
    proposal = budget_proposal(campaign)
    proposal_reject(proposal=proposal, user=growth_approver, reason="Season is over")
    before = _snapshot(proposal)
    with pytest.raises(InvalidTransition, match="rejected, not pending"):
        proposal_approve(proposal=proposal, user=growth_director)
    with pytest.raises(InvalidTransition, match="rejected, not pending"):
        proposal_send_back(proposal=proposal, user=growth_director, comment="again")
    with pytest.raises(InvalidTransition, match="only an approved proposal"):
        proposal_cancel(proposal=proposal, user=growth_director)
    assert _snapshot(proposal) == before


def test_reject_needs_a_reason_and_records_it(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    with pytest.raises(InvalidArguments, match="needs a reason"):
        proposal_reject(proposal=proposal, user=growth_approver, reason="  ")
    proposal = proposal_reject(proposal=proposal, user=growth_approver, reason="Season is over")
    assert (proposal.status, proposal.status_reason) == (Status.REJECTED, "Season is over")
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.verdict, decision.actor_label, decision.comment) == (
        "reject",
        "user:growth_approver",
        "Season is over",
    )
    last = proposal.history.first()
    assert (last.status, last.history_actor, last.history_user) == ("rejected", "user:growth_approver", growth_approver)


def test_send_back_needs_a_comment_and_calls_the_hook_after_commit(campaign, growth_approver, committed):
    calls = []
    hooks.connect_send_back(lambda p, c: calls.append((p.pk, c)), dispatch_uid="test-send-back")
    try:
        proposal = budget_proposal(campaign)
        with pytest.raises(InvalidArguments, match="needs a comment"):
            proposal_send_back(proposal=proposal, user=growth_approver, comment="")
        assert calls == []
        committed(proposal_send_back, proposal=proposal, user=growth_approver, comment="Cut to 100, not 80")
    finally:
        hooks.disconnect_send_back("test-send-back")
    proposal.refresh_from_db()
    assert proposal.status == Status.SENT_BACK
    assert calls == [(proposal.pk, "Cut to 100, not 80")]
    revision = budget_proposal(campaign, "100.00", revision_of=proposal)
    assert revision.revision_of == proposal and list(proposal.revisions.all()) == [revision]


def test_edit_and_approve_revalidates_and_records_the_diff(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign)
    with pytest.raises(InvalidArguments, match="daily_budget"):
        proposal_edit_approve(
            proposal=proposal, user=growth_approver, args={"campaign_id": campaign.pk, "daily_budget": "-5"}
        )
    assert ProposedAction.objects.get(pk=proposal.pk).args["daily_budget"] == "80.00"
    committed(
        proposal_edit_approve,
        proposal=proposal,
        user=growth_approver,
        args={"campaign_id": campaign.pk, "daily_budget": "100"},
        comment="a softer cut",
    )
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    decision = Decision.objects.get(proposal=proposal)
    assert decision.verdict == "edit_approve"
    assert decision.args_diff == {"daily_budget": ["80.00", "100"]}
    assert proposal.preview == "Daily budget of Spring Sale (Meta): $120 -> $100"
    assert proposal.status == Status.EXECUTED
    assert campaign.daily_budget == Decimal("100.00")


def test_edit_that_raises_the_stakes_needs_four_eyes(campaign, growth_approver, growth_director, committed):
    proposal = budget_proposal(campaign)
    committed(
        proposal_edit_approve,
        proposal=proposal,
        user=growth_approver,
        args={"campaign_id": campaign.pk, "daily_budget": "500"},
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING and proposal.money_at_stake == Decimal("2660.00")
    committed(proposal_approve, proposal=proposal, user=growth_director)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED


def test_cancel_an_approved_proposal_before_execution(campaign, growth_approver, growth_director, settings):
    settings.ATLAS_EXECUTE_SYNC = False  # approved, queued, not started
    proposal = budget_proposal(campaign)
    proposal = proposal_approve(proposal=proposal, user=growth_approver)
    assert proposal.status == Status.APPROVED
    proposal = proposal_cancel(proposal=proposal, user=growth_director, reason="Launch moved")
    assert proposal.status == Status.CANCELLED
    from approvals.executor import proposal_execute

    assert proposal_execute(proposal_id=proposal.pk) is None
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("120.00")


def test_a_held_proposal_cannot_be_approved_until_released(campaign, growth_approver, growth_director, committed):
    proposal = budget_proposal(campaign)
    other = budget_proposal(campaign, "60.00")
    proposal_hold(proposal=proposal, reason="Operations: stock runs out in 5 days", bundle=[other])
    with pytest.raises(InvalidTransition, match=r"on hold .*stock runs out"):
        proposal_approve(proposal=proposal, user=growth_approver)
    assert not Decision.objects.exists()
    assert list(ProposedAction.objects.get(pk=proposal.pk).bundled_with.all()) == [other]
    with pytest.raises(NotPermitted, match="releasing a hold needs a director"):
        proposal_release(proposal=proposal, user=growth_approver, reason="stock arrived")
    with pytest.raises(InvalidArguments, match="needs a reason"):
        proposal_release(proposal=proposal, user=growth_director, reason="  ")
    assert ProposedAction.objects.get(pk=proposal.pk).is_held
    proposal_release(proposal=proposal, user=growth_director, reason="stock arrived")
    release = Decision.objects.get(proposal=proposal)
    assert (release.verdict, release.user, release.comment) == ("release", growth_director, "stock arrived")
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED


def test_decisions_are_written_to_memory(campaign, growth_approver, committed):
    from memory.models import MemoryEntry

    proposal = budget_proposal(campaign)
    committed(proposal_approve, proposal=proposal, user=growth_approver)
    kinds = sorted(MemoryEntry.objects.filter(data__proposal=proposal.pk).values_list("kind", flat=True))
    assert kinds == ["decision", "outcome"]
