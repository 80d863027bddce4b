"""Exactly once under races, on PostgreSQL with real concurrent connections (threads)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from approvals.errors import ApprovalError
from approvals.executor import executions_sweep, proposal_execute
from approvals.models import Decision, Execution, Status
from approvals.services import proposal_approve
from brand.models import AppliedAction
from divisions.models import Role
from tests.factories import MembershipFactory, UserFactory, division

from .factories import budget_proposal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except ApprovalError as exc:
            outcomes[i] = exc
        except Exception as exc:  # surfaced by the assertions below
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_twenty_concurrent_approvals_give_one_execution(campaign):
    approvers = [
        MembershipFactory(user=UserFactory(username=f"racer{i}"), division=division("growth"), role=Role.APPROVER).user
        for i in range(20)
    ]
    proposal = budget_proposal(campaign)
    outcomes = _race(
        [lambda u=u: proposal_approve(proposal=proposal, user=u) for u in approvers]
        + [lambda: proposal_execute(proposal_id=proposal.pk), lambda: executions_sweep()]
    )
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApprovalError)]
    assert unexpected == []
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert Decision.objects.filter(proposal=proposal).count() == 1
    assert Execution.objects.filter(proposal=proposal, ok=True).count() == 1
    assert AppliedAction.objects.filter(key=f"proposal-{proposal.pk}").count() == 1
    assert campaign.daily_budget == Decimal("80.00")
    assert campaign.history.filter(daily_budget=Decimal("80.00")).count() == 1


def test_two_approvers_racing_on_four_eyes_give_exactly_one_execution_after_both(
    campaign, growth_approver, growth_director
):
    division("growth").__class__.objects.filter(slug="growth").update(daily_spend_cap=Decimal("100000"))
    for _ in range(3):
        proposal = budget_proposal(campaign, "400.00")
        assert proposal.money_at_stake > Decimal("1000")
        outcomes = _race(
            [
                lambda p=proposal: proposal_approve(proposal=p, user=growth_approver),
                lambda p=proposal: proposal_approve(proposal=p, user=growth_director),
            ]
        )
        assert [o for o in outcomes if isinstance(o, Exception)] == []
        proposal.refresh_from_db()
        assert (proposal.status, proposal.status_reason) == (Status.EXECUTED, "")
        assert sorted(Decision.objects.filter(proposal=proposal).values_list("actor_label", flat=True)) == [
            "user:growth_approver",
            "user:growth_director",
        ]
        execution = Execution.objects.get(proposal=proposal)
        last_decision = Decision.objects.filter(proposal=proposal).order_by("-at").first()
        assert execution.started_at >= last_decision.at
        # Put the budget back for the next round (the basis of the next proposal is read fresh).
        campaign.refresh_from_db()
        campaign.daily_budget = Decimal("120.00")
        campaign.save()
    assert Execution.objects.filter(ok=True).count() == 3
