"""Random sequences of proposals, decisions, expiries, basis changes, executions and retries.

Three invariants after every step:
- never an executed gated action without the approvals its policy needs (checked from the
  Decisions and the personas' roles, independently of approvals.policy);
- never two effects for one proposal (the action counts its effects, without any ledger);
- never a decision by someone outside the division's deciding roles.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import ClassVar

import pydantic
import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from approvals import registry
from approvals.errors import ApprovalError, TransientActionError
from approvals.executor import executions_sweep, proposal_execute
from approvals.models import Decision, Execution, ProposedAction, Status
from approvals.services import (
    proposal_approve,
    proposal_cancel,
    proposal_create,
    proposal_hold,
    proposal_reject,
    proposal_release,
    proposal_send_back,
    proposals_expire,
)
from divisions.models import Division, Role
from tests.factories import MembershipFactory, UserFactory, division

WORLD: dict[int, int] = {}  # the rows the proposals rest on: ref -> version
EFFECTS: Counter = Counter()  # successful effects per idempotency key
FAIL_NEXT = {"n": 0}  # transient failures still to inject


class ModelArgs(pydantic.BaseModel):
    ref: int
    amount: Decimal


class ModelAction(registry.ActionType):
    key = "test.model"
    category = "spend"
    Args = ModelArgs
    label = "model action"

    def money_at_stake(self, args):
        return args.amount

    def basis(self, args):
        return {f"world:{args.ref}": {"version": WORLD.get(args.ref, 0)}}

    def execute(self, args, *, idempotency_key):
        if FAIL_NEXT["n"] > 0:
            FAIL_NEXT["n"] -= 1
            raise TransientActionError("injected outage")
        EFFECTS[idempotency_key] += 1
        return {"ref": args.ref}


class InternalModelAction(ModelAction):
    key = "test.model_internal"
    category = "internal"


PERSONAS = ("owner", "growth_approver", "growth_director", "growth_viewer", "finance_director", "outsider")


class GateMachine(RuleBasedStateMachine):
    users: ClassVar[dict] = {}
    deciders: ClassVar[set] = set()
    directors: ClassVar[set] = set()

    proposals = Bundle("proposals")

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        WORLD.clear()
        EFFECTS.clear()
        FAIL_NEXT["n"] = 0
        self.refs = 0

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    @rule(target=proposals, amount=st.sampled_from(["10", "500", "2500"]), internal=st.booleans())
    def propose(self, amount, internal):
        self.refs += 1
        WORLD[self.refs] = 0
        proposal = proposal_create(
            action_type="test.model_internal" if internal else "test.model",
            args={"ref": self.refs, "amount": amount},
            division="growth",
            rationale="model",
            proposed_by=self.users["growth_approver"] if amount == "500" else None,
        )
        return proposal.pk

    @rule(
        pk=proposals,
        persona=st.sampled_from(PERSONAS),
        verdict=st.sampled_from(["approve", "reject", "send_back", "cancel", "hold", "release"]),
    )
    def decide(self, pk, persona, verdict):
        user = self.users[persona]
        proposal = ProposedAction.objects.get(pk=pk)
        calls = {
            "approve": lambda: proposal_approve(proposal=proposal, user=user),
            "reject": lambda: proposal_reject(proposal=proposal, user=user, reason="no"),
            "send_back": lambda: proposal_send_back(proposal=proposal, user=user, comment="redo"),
            "cancel": lambda: proposal_cancel(proposal=proposal, user=user),
            "hold": lambda: proposal_hold(proposal=proposal, reason="conflict"),
            "release": lambda: proposal_release(proposal=proposal, user=user, reason="resolved"),
        }
        with contextlib.suppress(ApprovalError):
            calls[verdict]()

    @rule(pk=proposals, persona=st.sampled_from(PERSONAS))
    def approve(self, pk, persona):
        # Approvals are the interesting step: a rule of their own so sequences reach execution often.
        with contextlib.suppress(ApprovalError):
            proposal_approve(proposal=ProposedAction.objects.get(pk=pk), user=self.users[persona])

    @rule(pk=proposals, persona=st.sampled_from(["owner", "growth_approver", "growth_director"]))
    def approve_by_a_decider(self, pk, persona):
        self.approve(pk, persona)

    @rule(pk=proposals)
    def expire(self, pk):
        ProposedAction.objects.filter(pk=pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        proposals_expire()

    @rule(pk=proposals)
    def change_basis(self, pk):
        ref = ProposedAction.objects.get(pk=pk).args["ref"]
        WORLD[ref] = WORLD.get(ref, 0) + 1

    @rule(pk=proposals, failures=st.integers(min_value=0, max_value=2))
    def execute(self, pk, failures):
        FAIL_NEXT["n"] = failures
        proposal_execute(proposal_id=pk)
        FAIL_NEXT["n"] = 0

    @rule()
    def retries_come_due(self):
        ProposedAction.objects.filter(status=Status.APPROVED).update(
            next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
        )
        executions_sweep(now=timezone.now())

    @rule(pk=proposals)
    def worker_dies_after_claiming(self, pk):
        updated = ProposedAction.objects.filter(pk=pk, status=Status.APPROVED).update(
            status=Status.EXECUTING, claim_token="dead", claimed_at=timezone.now() - dt.timedelta(hours=1)
        )
        if updated:
            executions_sweep(now=timezone.now())

    @invariant()
    def executed_gated_actions_had_their_approvals(self):
        for proposal in ProposedAction.objects.filter(executions__ok=True).distinct():
            approvers = set(
                Decision.objects.filter(proposal=proposal, verdict__in=["approve", "edit_approve"]).values_list(
                    "user_id", flat=True
                )
            )
            if proposal.category == "internal":
                assert approvers == {None}
                continue
            approvers.discard(proposal.proposed_by_id)
            assert approvers <= self.deciders
            assert approvers, f"#{proposal.pk} executed without an approval"
            if proposal.money_at_stake > Decimal("1000"):
                assert len(approvers) >= 2 and approvers & self.directors, f"#{proposal.pk} lacks four-eyes"

    @invariant()
    def never_two_effects_for_one_proposal(self):
        assert all(count == 1 for count in EFFECTS.values()), EFFECTS
        per_proposal = Counter(Execution.objects.filter(ok=True).values_list("proposal_id", flat=True))
        assert all(count == 1 for count in per_proposal.values())
        for key in EFFECTS:
            pk = int(key.split("-")[1])
            assert ProposedAction.objects.get(pk=pk).status == Status.EXECUTED

    @invariant()
    def decisions_only_by_deciders_of_the_division(self):
        users = set(Decision.objects.exclude(user=None).values_list("user_id", flat=True))
        assert users <= self.deciders


@pytest.mark.django_db
def test_gate_state_machine(settings):
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("1000")
    settings.ATLAS_WEBHOOK_URL = ""
    Division.objects.filter(slug="growth").update(daily_spend_cap=Decimal("1000000"))
    users = {
        "owner": UserFactory(username="owner", is_superuser=True),
        "outsider": UserFactory(username="outsider"),
    }
    for name, slug, role in [
        ("growth_approver", "growth", Role.APPROVER),
        ("growth_director", "growth", Role.DIRECTOR),
        ("growth_viewer", "growth", Role.VIEWER),
        ("finance_director", "finance", Role.DIRECTOR),
    ]:
        users[name] = MembershipFactory(user=UserFactory(username=name), division=division(slug), role=role).user
    GateMachine.users = users
    GateMachine.deciders = {users[n].pk for n in ("owner", "growth_approver", "growth_director")}
    GateMachine.directors = {users[n].pk for n in ("owner", "growth_director")}
    registry.register(ModelAction)
    registry.register(InternalModelAction)
    try:
        run_state_machine_as_test(
            GateMachine,
            settings=hsettings(
                max_examples=60,
                stateful_step_count=20,
                database=None,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        registry.unregister("test.model")
        registry.unregister("test.model_internal")
