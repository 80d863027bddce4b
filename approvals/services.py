"""Every state change of a proposal: create, decide, hold, expire (deciding lives in `approvals.deciding`,
whose `proposal_decide` every person's channel calls, execution in `approvals.executor`, the shared
checks in `approvals.guards`, the notes to memory in `approvals.remembering`).

Each service checks the transition, the person's division role and the policy, runs in one
transaction, moves the proposal with a conditional update (`filter(pk, status=...).update(...)`,
one row or nothing: portable to SQLite, and on PostgreSQL the row lock serialises concurrent
deciders) and writes the history row with its actor. A bad input raises an `ApprovalError`
before anything is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from atlas_project.audit import POLICY, SYSTEM, Actor, acting_as, current_actor, history_write
from divisions.models import Division

from . import hooks, policy, registry
from .deciding import (
    approve_if_satisfied,
    proposal_approve,
    proposal_cancel,
    proposal_decide,
    proposal_edit_approve,
    proposal_reject,
    proposal_release,
    proposal_send_back,
)
from .errors import InvalidArguments, InvalidTransition
from .executor import executions_sweep, proposal_execute
from .guards import describe, division_of, expire_one, reload
from .models import Decision, ProposedAction, Status, Verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from agents.models import AgentRun
    from memory.models import MemoryEntry

logger = logging.getLogger(__name__)

__all__ = [
    "executions_sweep",
    "proposal_approve",
    "proposal_cancel",
    "proposal_create",
    "proposal_decide",
    "proposal_edit_approve",
    "proposal_execute",
    "proposal_hold",
    "proposal_reject",
    "proposal_release",
    "proposal_release_by_rule",
    "proposal_send_back",
    "proposals_expire",
]


# --- create ------------------------------------------------------------------------------------


def proposal_create(
    *,
    action_type: str,
    args: dict,
    division: Division | str,
    rationale: str,
    agent_run: AgentRun | None = None,
    agent_key: str = "",
    proposed_by: User | None = None,
    evidence: Iterable[MemoryEntry] = (),
    confidence: float = 0.5,
    priority: float = 0,
    drafted_by: str = "",
    revision_of: ProposedAction | None = None,
) -> ProposedAction:
    """A new proposal. Internal actions are approved by the policy and executed after commit;
    spend, message and schedule wait as `pending` until people decide or it expires."""
    action = registry.get(action_type)
    parsed = action.parse(args)
    division_row = division_of(division)
    if not isinstance(rationale, str) or not rationale.strip():
        raise InvalidArguments(f"{action_type}: rationale must not be empty")
    evidence = list(evidence)
    info = describe(action, parsed, evidence=evidence)
    now = timezone.now()
    internal = policy.is_internal(action.category)
    if agent_run is not None and not agent_key:
        agent_key = getattr(getattr(agent_run, "agent", None), "key", "") or ""
    with transaction.atomic():
        actor = current_actor()
        if actor is None:
            actor = Actor.for_user(proposed_by) if proposed_by is not None else SYSTEM
        with acting_as(actor):
            proposal = ProposedAction(
                action_type=action.key,
                category=action.category,
                division=division_row,
                agent_run=agent_run,
                agent_key=agent_key,
                proposed_by=proposed_by,
                args=action.dump(parsed),
                rationale=rationale.strip(),
                drafted_by=drafted_by,
                confidence=confidence,
                priority=priority,
                revision_of=revision_of,
                status=Status.PENDING,
                expires_at=None if internal else policy.expires_at_for(now),
                **info,
            )
            proposal._change_reason = "proposed"
            proposal.save()
            if evidence:
                proposal.evidence.set(evidence)
            if not internal:
                # The cross-division rules are part of the gate: a proposal that breaks one waits, held
                # with the rule named, whoever made it (a cycle, a request, a revision).
                judgement = hooks.judge(proposal)
                if judgement is not None:
                    proposal = proposal_hold(proposal=proposal, reason=judgement.hold_reason, bundle=judgement.bundle)
        if internal:
            with acting_as(POLICY):
                Decision.objects.create(
                    proposal=proposal,
                    user=None,
                    actor_label=POLICY.label,
                    verdict=Verdict.APPROVE,
                    comment="internal action: approved by policy",
                    via="policy",
                )
                proposal = approve_if_satisfied(proposal, reason="approved by policy")
    return proposal


# --- decisions: `approvals.deciding` (proposal_decide and its internals, re-exported here) ------------


@transaction.atomic
def proposal_hold(*, proposal: ProposedAction, reason: str, bundle: Iterable[ProposedAction] = ()) -> ProposedAction:
    """The orchestrator parks a pending proposal that conflicts with other work (optionally bundled)."""
    proposal = reload(proposal)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidArguments(f"proposal #{proposal.pk}: a hold needs a reason")
    if proposal.status != Status.PENDING:
        raise InvalidTransition(f"proposal #{proposal.pk} is {proposal.status}: only a pending proposal can be held")
    updated = ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING).update(
        hold_reason=reason.strip(), updated_at=timezone.now()
    )
    if updated != 1:
        raise InvalidTransition(f"proposal #{proposal.pk} changed while holding it; try again")
    bundle = [b for b in bundle if b.pk != proposal.pk]
    with acting_as(current_actor() or SYSTEM):
        if bundle:
            proposal.bundled_with.add(*bundle)
        history_write([proposal], reason="held")
    return proposal


@transaction.atomic
def proposals_bundle(*, proposals: Iterable[ProposedAction]) -> None:
    """Mark proposals that belong together (a discount and the e-mail announcing it, a cut that funds a
    raise), so the console decides them together or says what deciding one alone does. The first
    is bundled with the others: the link reads both ways (`bundled_with` / `bundled_into`)."""
    distinct = list({p.pk: p for p in proposals}.values())
    if len(distinct) < 2:
        return
    first, *rest = distinct
    with acting_as(current_actor() or SYSTEM):
        first.bundled_with.add(*rest)


def proposal_release_by_rule(*, proposal: ProposedAction, rule: str, reason: str) -> ProposedAction | None:
    """Lift a rule's hold because its condition cleared (the stock arrived, the pace dropped), recorded
    as a release decision by the rule. None when the proposal is no longer held and pending."""
    if not isinstance(reason, str) or not reason.strip() or not rule:
        raise InvalidArguments(f"proposal #{proposal.pk}: a rule's release needs the rule and a reason")
    updated = (
        ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING)
        .exclude(hold_reason="")
        .update(hold_reason="", updated_at=timezone.now())
    )
    if updated != 1:
        return None
    proposal = reload(proposal)
    label = f"rule {rule}"
    with acting_as(POLICY):
        history_write([proposal], reason=f"released by {label}")
        Decision.objects.create(
            proposal=proposal, user=None, actor_label=label, verdict=Verdict.RELEASE, comment=reason.strip(), via="rule"
        )
    return proposal


def proposals_expire(*, now: dt.datetime | None = None) -> int:
    """Pending proposals past their expiry become `expired` (final: they fail closed). Returns the count."""
    now = now or timezone.now()
    count = 0
    for proposal in ProposedAction.objects.filter(status=Status.PENDING, expires_at__lte=now).only("pk", "expires_at"):
        if expire_one(proposal, now):
            count += 1
    return count
