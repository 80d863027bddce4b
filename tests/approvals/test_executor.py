"""The executor: claims, retries with backoff, the sweeper after a killed worker, the cap, the log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

import pydantic
import pytest
from django.db import transaction
from django.utils import timezone

from approvals import registry
from approvals.errors import TransientActionError
from approvals.executor import executions_sweep, proposal_execute
from approvals.models import AppendOnlyError, Execution, ProposedAction, Status
from approvals.services import proposal_approve, proposal_create
from brand.models import AppliedAction
from divisions.models import Division

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


class FlakyArgs(pydantic.BaseModel):
    fail_times: int = 0
    amount: Decimal = Decimal("10")


class Flaky(registry.ActionType):
    """Fails `fail_times` times with a transient error, then succeeds; counts its effects."""

    key = "test.flaky"
    category = "spend"
    Args = FlakyArgs
    calls: ClassVar[int] = 0
    effects: ClassVar[int] = 0

    def money_at_stake(self, args):
        return args.amount

    def execute(self, args, *, idempotency_key):
        type(self).calls += 1
        if type(self).calls <= args.fail_times:
            raise TransientActionError("SMTP 421 try later")
        type(self).effects += 1
        return {"ok": True}


@pytest.fixture
def flaky():
    Flaky.calls = Flaky.effects = 0
    registry.register(Flaky)
    yield Flaky
    registry.unregister("test.flaky")


def _flaky_proposal(approver, fail_times=0, amount="10"):
    proposal = proposal_create(
        action_type="test.flaky", args={"fail_times": fail_times, "amount": amount}, division="growth", rationale="t"
    )
    return proposal_approve(proposal=proposal, user=approver)


def _due(proposal):
    ProposedAction.objects.filter(pk=proposal.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_transient_failures_retry_with_backoff_then_succeed(flaky, growth_approver, settings):
    settings.ATLAS_EXECUTE_SYNC = False
    proposal = _flaky_proposal(growth_approver, fail_times=2)
    first = proposal_execute(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert not first.ok and "SMTP 421" in first.error
    assert proposal.status == Status.APPROVED and proposal.next_attempt_at > timezone.now()
    assert proposal_execute(proposal_id=proposal.pk) is None  # not due yet
    settings.ATLAS_EXECUTE_SYNC = True
    _due(proposal)
    assert executions_sweep() == 1  # attempt 2 fails again
    _due(proposal)
    assert executions_sweep() == 1  # attempt 3 succeeds
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert list(Execution.objects.filter(proposal=proposal).values_list("attempt", "ok")) == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert flaky.effects == 1


def test_transient_failures_give_up_after_max_attempts(flaky, growth_approver, settings):
    settings.ATLAS_EXECUTION_MAX_ATTEMPTS = 2
    settings.ATLAS_EXECUTE_SYNC = False
    proposal = _flaky_proposal(growth_approver, fail_times=5)
    proposal_execute(proposal_id=proposal.pk)
    _due(proposal)
    proposal_execute(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.status == Status.FAILED
    assert proposal.status_reason.startswith("gave up after 2 attempts: SMTP 421")
    assert flaky.effects == 0


def test_a_killed_executor_is_swept_and_the_effect_happens_once(campaign, growth_approver, settings):
    """The worker applied the effect (ledger row written) and died before logging the execution."""
    settings.ATLAS_EXECUTE_SYNC = False
    proposal = proposal_approve(proposal=budget_proposal(campaign), user=growth_approver)
    action = registry.get("ads.set_daily_budget")
    # What the killed worker got done: the claim, and the effect with its ledger row.
    claimed = timezone.now() - dt.timedelta(seconds=settings.ATLAS_EXECUTION_CLAIM_TTL + 5)
    ProposedAction.objects.filter(pk=proposal.pk).update(
        status=Status.EXECUTING, claim_token="dead-worker", claimed_at=claimed, attempts=1
    )
    with transaction.atomic():
        action.execute(action.parse(proposal.args), idempotency_key=f"proposal-{proposal.pk}")
    assert executions_sweep() == 1  # queued for a worker: nothing ran in-process yet
    proposal.refresh_from_db()
    assert (proposal.status, proposal.claim_token) == (Status.APPROVED, "")
    settings.ATLAS_EXECUTE_SYNC = True
    execution = proposal_execute(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED  # not stale: its own effect moved the basis
    assert (execution.attempt, execution.ok) == (2, True)
    assert execution.result["daily_budget_before"] == "120.00"
    assert campaign.daily_budget == Decimal("80.00")
    assert AppliedAction.objects.filter(key=f"proposal-{proposal.pk}").count() == 1
    assert campaign.history.filter(daily_budget=Decimal("80.00")).count() == 1  # one effect


def test_sweeper_redispatches_an_approval_whose_execution_never_started(campaign, growth_approver, settings):
    settings.ATLAS_EXECUTE_SYNC = False
    proposal = proposal_approve(proposal=budget_proposal(campaign), user=growth_approver)
    assert executions_sweep() == 0  # within the grace period the queue has it
    settings.ATLAS_EXECUTE_SYNC = True
    assert executions_sweep(now=timezone.now() + dt.timedelta(minutes=5)) == 1
    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert campaign.daily_budget == Decimal("80.00")


def test_daily_spend_cap_fails_closed_at_execution(flaky, growth_approver, committed):
    Division.objects.filter(slug="growth").update(daily_spend_cap=Decimal("25"))
    first = committed(_flaky_proposal, growth_approver, amount="20")
    second = committed(_flaky_proposal, growth_approver, amount="10")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.EXECUTED
    assert second.status == Status.FAILED
    assert "daily spend cap of Growth exceeded: $20 already committed today + $10" in second.status_reason
    assert flaky.effects == 1


def test_execution_rows_are_append_only(campaign, growth_approver, committed):
    proposal = committed(proposal_approve, proposal=budget_proposal(campaign), user=growth_approver)
    execution = Execution.objects.get(proposal=proposal)
    execution.error = "rewritten"
    with pytest.raises(AppendOnlyError):
        execution.save()
    with pytest.raises(AppendOnlyError):
        execution.delete()
    with pytest.raises(AppendOnlyError):
        Execution.objects.filter(pk=execution.pk).update(error="rewritten")
    with pytest.raises(AppendOnlyError):
        Execution.objects.all().delete()
    assert Execution.objects.get(pk=execution.pk).error == ""


def test_the_ledger_makes_a_repeated_call_a_no_op(campaign):
    action = registry.get("ads.set_daily_budget")
    args = action.parse({"campaign_id": campaign.pk, "daily_budget": "80"})
    first = action.execute(args, idempotency_key="k-1")
    campaign.daily_budget = Decimal("130.00")
    campaign.save()
    again = action.execute(args, idempotency_key="k-1")
    campaign.refresh_from_db()
    assert again == first
    assert campaign.daily_budget == Decimal("130.00")
    assert AppliedAction.objects.filter(key="k-1").count() == 1
