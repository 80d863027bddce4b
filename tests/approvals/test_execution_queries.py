"""One execution's queries are a constant: a fetch repeated per step, per decision or per earlier
execution fails here before it shows as a slower qcluster.

The count is of a budget change (gated spend: the policy check with the approver's role, the basis,
the ledger, the division's row lock and its cap, the effect with its history, the Execution row, the
proposal's history, the outcome in memory), executed the way a worker does: by id, after commit.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.executor import proposal_execute
from approvals.models import Execution, ProposedAction, Status
from approvals.services import proposal_approve
from tests.factories import AdCampaignFactory

from .factories import budget_proposal

pytestmark = pytest.mark.django_db

# Savepoints count as queries here (the test runs inside a transaction). 39 before the executor read
# the proposal, its decisions and its division once per execution, and each approver's access once.
EXECUTION_QUERIES = 30


def _approved(approver, budget: str = "100.00") -> ProposedAction:
    # Not captured, the approval's on-commit dispatch never runs: the test executes it itself.
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    return proposal_approve(proposal=budget_proposal(campaign, budget), user=approver)


def test_one_execution_costs_a_constant_number_of_queries(growth_approver, django_assert_max_num_queries):
    proposal = _approved(growth_approver)
    with django_assert_max_num_queries(EXECUTION_QUERIES):
        execution = proposal_execute(proposal_id=proposal.pk)
    assert execution is not None and execution.ok
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.EXECUTED


def test_the_count_does_not_grow_with_earlier_executions_or_approvers(
    growth_approver, growth_director, settings, django_assert_max_num_queries
):
    counts = []
    for _ in range(3):
        proposal = _approved(growth_approver)
        with CaptureQueriesContext(connection) as queries:
            proposal_execute(proposal_id=proposal.pk)
        counts.append(len(queries))
    assert Execution.objects.filter(ok=True).count() == 3
    assert counts[0] == counts[-1], f"queries per execution grew with the executions before it: {counts}"

    # Four-eyes: a second approver costs the read of their access (one query), nothing per step.
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("50")
    proposal = budget_proposal(AdCampaignFactory(daily_budget=Decimal("120.00")), "110.00")
    assert proposal_approve(proposal=proposal, user=growth_approver).status == Status.PENDING
    proposal = proposal_approve(proposal=proposal, user=growth_director)
    assert proposal.status == Status.APPROVED
    with django_assert_max_num_queries(counts[0] + 1):
        execution = proposal_execute(proposal_id=proposal.pk)
    assert execution is not None and execution.ok
