"""`proposal_decide`: each verdict, each channel, and a link used up only by the decision it carries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from approvals.errors import InvalidArguments, InvalidTransition, NotPermitted, StaleBasis
from approvals.links import LinkError, is_used, make_token
from approvals.models import Decision, LinkUse, ProposedAction, Status
from approvals.services import proposal_decide, proposal_hold

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _nothing_written(proposal: ProposedAction, status: str = Status.PENDING) -> None:
    assert ProposedAction.objects.get(pk=proposal.pk).status == status
    assert not Decision.objects.filter(proposal=proposal).exists()
    assert not LinkUse.objects.exists()


# --- each verdict ---------------------------------------------------------------------------------


def test_approve_returns_the_decision_and_the_proposal_as_it_stands(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign)
    decision = committed(
        proposal_decide, proposal=proposal, user=growth_approver, verdict="approve", comment="fine by me"
    )
    assert isinstance(decision, Decision) and decision.pk
    assert (decision.verdict, decision.user, decision.via, decision.comment) == (
        "approve",
        growth_approver,
        "console",
        "fine by me",
    )
    assert decision.proposal.status == Status.APPROVED  # as the decision left it; then executed after commit
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.EXECUTED


def test_edit_approve_revalidates_stores_the_diff_and_recomputes_four_eyes(
    campaign, growth_approver, growth_director, committed
):
    proposal = budget_proposal(campaign)  # a cut: nothing at stake, one approval would do
    with pytest.raises(InvalidArguments, match="daily_budget"):
        proposal_decide(
            proposal=proposal,
            user=growth_approver,
            verdict="edit_approve",
            args={"campaign_id": campaign.pk, "daily_budget": "-5"},
        )
    _nothing_written(proposal)
    decision = committed(
        proposal_decide,
        proposal=proposal,
        user=growth_approver,
        verdict="edit_approve",
        args={"campaign_id": campaign.pk, "daily_budget": "400"},
        comment="scale it instead",
    )
    assert decision.args_diff == {"daily_budget": ["80.00", "400"]}
    # (400 - 120) x 7 = 1960 is above the four-eyes amount: the edit alone does not move money.
    assert decision.proposal.money_at_stake == Decimal("1960.00")
    assert decision.proposal.status == Status.PENDING
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("120.00")
    committed(proposal_decide, proposal=proposal, user=growth_director, verdict="approve")
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("400.00")


@pytest.mark.parametrize(
    ("verdict", "status", "needs"), [("send_back", Status.SENT_BACK, "comment"), ("reject", Status.REJECTED, "reason")]
)
def test_send_back_and_reject_need_words(campaign, growth_approver, verdict, status, needs):
    proposal = budget_proposal(campaign)
    with pytest.raises(InvalidArguments, match=needs):
        proposal_decide(proposal=proposal, user=growth_approver, verdict=verdict, comment="   ")
    _nothing_written(proposal)
    decision = proposal_decide(proposal=proposal, user=growth_approver, verdict=verdict, comment=" Not this week ")
    assert (decision.verdict, decision.comment) == (verdict, "Not this week")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.status_reason) == (status, "Not this week")


def test_cancel_withdraws_an_approval_not_yet_executing(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    proposal_decide(proposal=proposal, user=growth_approver, verdict="approve")  # execution not run: no commit
    decision = proposal_decide(proposal=proposal, user=growth_approver, verdict="cancel", via="command")
    assert (decision.verdict, decision.via, decision.proposal.status) == ("cancel", "command", Status.CANCELLED)


def test_release_needs_a_director_and_a_reason(campaign, growth_approver, growth_director):
    proposal = budget_proposal(campaign)
    proposal_hold(proposal=proposal, reason="stock runs out in 5 days")
    with pytest.raises(NotPermitted, match="director"):
        proposal_decide(proposal=proposal, user=growth_approver, verdict="release", comment="stock arrived")
    with pytest.raises(InvalidArguments, match="reason"):
        proposal_decide(proposal=proposal, user=growth_director, verdict="release")
    assert ProposedAction.objects.get(pk=proposal.pk).is_held
    decision = proposal_decide(proposal=proposal, user=growth_director, verdict="release", comment="stock arrived")
    assert (decision.verdict, decision.comment) == ("release", "stock arrived")
    assert not decision.proposal.is_held and decision.proposal.status == Status.PENDING


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verdict": "maybe"}, "verdict='maybe'"),
        ({"verdict": "approve", "via": "fax"}, "via='fax'"),
        ({"verdict": "approve", "args": {"daily_budget": "90"}}, "edit_approve"),
        ({"verdict": "edit_approve"}, "edit_approve needs them"),
        ({"verdict": "approve", "via": "link"}, "carries the link"),
        ({"verdict": "approve", "link": "abc"}, "carries the link"),
    ],
)
def test_bad_calls_are_refused_before_anything_is_written(campaign, growth_approver, kwargs, message):
    proposal = budget_proposal(campaign)
    with pytest.raises(InvalidArguments, match=message):
        proposal_decide(proposal=proposal, user=growth_approver, **kwargs)
    _nothing_written(proposal)


# --- four-eyes means four eyes --------------------------------------------------------------------


def test_the_requester_is_refused_and_two_other_people_complete_it(
    campaign, growth_director, growth_approver, owner, committed
):
    proposal = budget_proposal(campaign, "400.00", proposed_by=growth_director)  # 1960 > 1000
    with pytest.raises(NotPermitted, match="asked for this work"):
        proposal_decide(proposal=proposal, user=growth_director, verdict="approve")
    with pytest.raises(NotPermitted, match="asked for this work"):
        proposal_decide(
            proposal=proposal,
            user=growth_director,
            verdict="edit_approve",
            args={"campaign_id": campaign.pk, "daily_budget": "300"},
        )
    _nothing_written(proposal)
    first = committed(proposal_decide, proposal=proposal, user=growth_approver, verdict="approve")
    assert first.proposal.status == Status.PENDING  # one approval is not four eyes
    committed(proposal_decide, proposal=proposal, user=owner, verdict="approve")
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    approvers = set(Decision.objects.filter(proposal=proposal).values_list("user__username", flat=True))
    assert approvers == {"growth_approver", "owner"}


# --- the link: used up by its decision only ---------------------------------------------------------


def test_a_link_is_used_by_its_decision_in_the_same_transaction(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign)
    token = make_token(proposal, growth_approver, "approve")
    decision = committed(
        proposal_decide, proposal=proposal, user=growth_approver, verdict="approve", via="link", link=token
    )
    use = LinkUse.objects.get()
    assert (use.decision, use.user, use.verdict, decision.via) == (decision, growth_approver, "approve", "link")
    with pytest.raises(LinkError, match="used already"):
        proposal_decide(proposal=proposal, user=growth_approver, verdict="approve", via="link", link=token)
    assert Decision.objects.filter(proposal=proposal).count() == 1


def test_a_link_carries_one_decision_of_one_proposal_by_one_person(campaign, growth_approver, growth_director):
    proposal = budget_proposal(campaign)
    other = budget_proposal(campaign, "60.00")
    token = make_token(proposal, growth_approver, "reject")
    for kwargs in (
        {"proposal": proposal, "user": growth_approver, "verdict": "approve"},
        {"proposal": proposal, "user": growth_director, "verdict": "reject"},
        {"proposal": other, "user": growth_approver, "verdict": "reject"},
    ):
        with pytest.raises(LinkError, match="does not carry"):
            proposal_decide(comment="no", via="link", link=token, **kwargs)
    _nothing_written(proposal)
    assert not is_used(token)


def test_a_reject_link_without_a_reason_decides_nothing_and_stays_usable(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    token = make_token(proposal, growth_approver, "reject")
    with pytest.raises(InvalidArguments, match="reason"):
        proposal_decide(proposal=proposal, user=growth_approver, verdict="reject", comment="", via="link", link=token)
    _nothing_written(proposal)
    decision = proposal_decide(
        proposal=proposal, user=growth_approver, verdict="reject", comment="launch week", via="link", link=token
    )
    assert decision.proposal.status == Status.REJECTED and is_used(token)


def test_an_approve_link_on_a_held_proposal_stays_usable_until_released(
    campaign, growth_approver, growth_director, committed
):
    proposal = budget_proposal(campaign)
    proposal_hold(proposal=proposal, reason="stock runs out in 5 days")
    token = make_token(proposal, growth_approver, "approve")
    with pytest.raises(InvalidTransition, match="on hold"):
        proposal_decide(proposal=proposal, user=growth_approver, verdict="approve", via="link", link=token)
    _nothing_written(proposal)
    proposal_decide(proposal=proposal, user=growth_director, verdict="release", comment="stock arrived")
    committed(proposal_decide, proposal=proposal, user=growth_approver, verdict="approve", via="link", link=token)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED and is_used(token)


def test_a_stale_proposal_stays_stale_and_its_link_unused(campaign, growth_approver):
    proposal = budget_proposal(campaign)
    token = make_token(proposal, growth_approver, "approve")
    campaign.daily_budget = Decimal("150.00")
    campaign.save()
    with pytest.raises(StaleBasis, match=r"120\.00 -> 150\.00"):
        proposal_decide(proposal=proposal, user=growth_approver, verdict="approve", via="link", link=token)
    # The stale mark commits on its own: the refused decision does not roll it back.
    _nothing_written(proposal, status=Status.STALE)
