"""Every state change of a proposal: create, decide, hold, expire (execution lives in `approvals.executor`,
the shared checks in `approvals.guards`, the notes to memory in `approvals.remembering`).

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
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from atlas_project.audit import POLICY, SYSTEM, Actor, acting_as, current_actor
from divisions.models import Division

from . import hooks, policy, registry
from .errors import InvalidArguments, InvalidTransition, NotPermitted
from .executor import dispatch_on_commit, executions_sweep, proposal_execute
from .guards import (
    check_basis,
    describe,
    division_of,
    expire_one,
    lock_pending,
    reload,
    require_decider,
    require_open,
    transition,
    user_label,
    write_history,
)
from .models import Decision, ProposedAction, Status, Verdict
from .remembering import remember_about

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from agents.models import AgentRun
    from memory.models import MemoryEntry

logger = logging.getLogger(__name__)

__all__ = [
    "executions_sweep",
    "proposal_approve",
    "proposal_cancel",
    "proposal_create",
    "proposal_edit_approve",
    "proposal_execute",
    "proposal_hold",
    "proposal_reject",
    "proposal_release",
    "proposal_send_back",
    "proposals_expire",
]


# --- approval ----------------------------------------------------------------------------------
# The checks and the conditional move every service below uses are in `approvals.guards`.


def _approve_if_satisfied(proposal: ProposedAction, *, reason: str) -> ProposedAction:
    status = policy.approvals_status(proposal)
    if not status.satisfied:
        return reload(proposal)
    proposal = transition(
        proposal, from_statuses=[Status.PENDING], to=Status.APPROVED, reason=reason, extra_filter={"hold_reason": ""}
    )
    dispatch_on_commit(proposal.pk)
    return proposal


# --- create ------------------------------------------------------------------------------------


def proposal_create(
    *,
    action_type: str,
    args: dict,
    division: Division | str,
    rationale: str,
    agent_run: AgentRun | None = None,
    agent_key: str = "",
    proposed_by: AbstractBaseUser | None = None,
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
    info = describe(action, parsed)
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
            evidence = list(evidence)
            if evidence:
                proposal.evidence.set(evidence)
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
                proposal = _approve_if_satisfied(proposal, reason="approved by policy")
    return proposal


# --- decisions ---------------------------------------------------------------------------------


def proposal_approve(
    *, proposal: ProposedAction, user: AbstractBaseUser, comment: str = "", via: str = "admin"
) -> ProposedAction:
    """One approval. With enough approvals for the policy the proposal becomes `approved` and its
    execution is queued after commit; a four-eyes proposal stays `pending` after the first."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise NotPermitted(f"proposal #{proposal.pk}: {user.get_username()} proposed it and cannot approve it")
    require_open(proposal, for_approval=True)
    action = registry.get(proposal.action_type)
    check_basis(proposal, action)
    return _record_approval(proposal, user=user, verdict=Verdict.APPROVE, comment=comment, via=via)


@transaction.atomic
def _record_approval(
    proposal: ProposedAction, *, user: Any, verdict: str, comment: str, via: str, args_diff: dict | None = None
) -> ProposedAction:
    lock_pending(proposal, for_approval=True)
    if Decision.objects.filter(proposal=proposal, user=user, verdict__in=policy.APPROVING_VERDICTS).exists():
        raise InvalidTransition(f"proposal #{proposal.pk}: {user.get_username()} has already approved it")
    label = user_label(user)
    with acting_as(Actor.for_user(user)):
        try:
            with transaction.atomic():
                Decision.objects.create(
                    proposal=proposal,
                    user=user,
                    actor_label=label,
                    verdict=verdict,
                    comment=comment,
                    args_diff=args_diff or {},
                    via=via,
                )
        except IntegrityError:
            raise InvalidTransition(f"proposal #{proposal.pk}: {user.get_username()} has already approved it") from None
        proposal = _approve_if_satisfied(proposal, reason=f"approved by {label}")
        status = policy.approvals_status(proposal)
        words = "approved" if verdict == Verdict.APPROVE else "edited and approved"
        tail = "" if status.satisfied else f"; still needs {status.missing}"
        remember_about(
            proposal,
            kind="decision",
            user=user,
            text=f"{label} {words} {proposal.title or proposal.action_type}: {proposal.preview}{tail}"
            + (f". Comment: {comment}" if comment else ""),
            data={"verdict": verdict, "args_diff": args_diff or {}, "status": proposal.status},
        )
    return proposal


def proposal_edit_approve(
    *, proposal: ProposedAction, user: AbstractBaseUser, args: dict, comment: str = "", via: str = "admin"
) -> ProposedAction:
    """Change the arguments (re-validated, the diff recorded on the Decision) and approve them."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise NotPermitted(f"proposal #{proposal.pk}: {user.get_username()} proposed it and cannot approve it")
    require_open(proposal, for_approval=True)
    action = registry.get(proposal.action_type)
    parsed = action.parse(args)
    new_args = action.dump(parsed)
    diff = {
        field: [proposal.args.get(field), new_args.get(field)]
        for field in sorted(set(proposal.args) | set(new_args))
        if proposal.args.get(field) != new_args.get(field)
    }
    if not diff:
        return proposal_approve(proposal=proposal, user=user, comment=comment, via=via)
    if Decision.objects.filter(proposal=proposal, verdict__in=policy.APPROVING_VERDICTS).exists():
        # Earlier approvers approved other arguments; editing under them would borrow their names.
        raise InvalidTransition(
            f"proposal #{proposal.pk} already has an approval of its current arguments; "
            "send it back or reject it instead of editing"
        )
    check_basis(proposal, action)
    info = describe(action, parsed)
    with transaction.atomic():
        updated = ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING, hold_reason="").update(
            args=new_args, updated_at=timezone.now(), **info
        )
        if updated != 1:
            raise InvalidTransition(f"proposal #{proposal.pk} changed while editing; try again")
        with acting_as(Actor.for_user(user)):
            write_history(proposal, f"edited by {user_label(user)}")
        return _record_approval(
            proposal, user=user, verdict=Verdict.EDIT_APPROVE, comment=comment, via=via, args_diff=diff
        )


def _close(
    proposal: ProposedAction,
    *,
    user: Any,
    verdict: str,
    to: str,
    from_statuses: list[str],
    text: str,
    via: str,
    extra_filter: dict | None = None,
) -> ProposedAction:
    label = user_label(user)
    with acting_as(Actor.for_user(user)):
        proposal = transition(
            proposal,
            from_statuses=from_statuses,
            to=to,
            reason=f"{verdict} by {label}",
            extra_filter=extra_filter,
            status_reason=text,
        )
        Decision.objects.create(proposal=proposal, user=user, actor_label=label, verdict=verdict, comment=text, via=via)
        words = {Verdict.SEND_BACK: "sent back", Verdict.REJECT: "rejected", Verdict.CANCEL: "cancelled"}[verdict]
        remember_about(
            proposal,
            kind="decision",
            user=user,
            text=f"{label} {words} {proposal.title or proposal.action_type}: {proposal.preview}"
            + (f". Reason: {text}" if text else ""),
            data={"verdict": verdict, "status": to},
        )
    return proposal


@transaction.atomic
def proposal_send_back(
    *, proposal: ProposedAction, user: AbstractBaseUser, comment: str, via: str = "admin"
) -> ProposedAction:
    """Back to the proposing agent with a comment; `approvals.hooks.on_send_back` runs after commit."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    if not isinstance(comment, str) or not comment.strip():
        raise InvalidArguments(f"proposal #{proposal.pk}: sending back needs a comment for the agent")
    require_open(proposal, for_approval=False)
    proposal = _close(
        proposal,
        user=user,
        verdict=Verdict.SEND_BACK,
        to=Status.SENT_BACK,
        from_statuses=[Status.PENDING],
        text=comment.strip(),
        via=via,
    )
    transaction.on_commit(partial(hooks.on_send_back, proposal, comment.strip()))
    return proposal


@transaction.atomic
def proposal_reject(
    *, proposal: ProposedAction, user: AbstractBaseUser, reason: str, via: str = "admin"
) -> ProposedAction:
    proposal = reload(proposal)
    require_decider(proposal, user)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidArguments(f"proposal #{proposal.pk}: rejecting needs a reason")
    require_open(proposal, for_approval=False)
    return _close(
        proposal,
        user=user,
        verdict=Verdict.REJECT,
        to=Status.REJECTED,
        from_statuses=[Status.PENDING],
        text=reason.strip(),
        via=via,
    )


@transaction.atomic
def proposal_cancel(
    *, proposal: ProposedAction, user: AbstractBaseUser, reason: str = "", via: str = "admin"
) -> ProposedAction:
    """Withdraw an approved proposal whose execution has not started (no claim, no attempt)."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    if proposal.status != Status.APPROVED or proposal.claimed_at is not None:
        raise InvalidTransition(
            f"proposal #{proposal.pk} is {proposal.status}"
            + (" and its execution has started" if proposal.claimed_at else "")
            + ": only an approved proposal whose execution has not started can be cancelled"
        )
    return _close(
        proposal,
        user=user,
        verdict=Verdict.CANCEL,
        to=Status.CANCELLED,
        from_statuses=[Status.APPROVED],
        extra_filter={"claimed_at__isnull": True},
        text=reason.strip() or "cancelled before execution",
        via=via,
    )


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
        return write_history(proposal, "held")


@transaction.atomic
def proposal_release(*, proposal: ProposedAction, user: AbstractBaseUser, reason: str = "") -> ProposedAction:
    proposal = reload(proposal)
    require_decider(proposal, user)
    if not proposal.is_held:
        raise InvalidTransition(f"proposal #{proposal.pk} is not on hold")
    updated = (
        ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING)
        .exclude(hold_reason="")
        .update(hold_reason="", updated_at=timezone.now())
    )
    if updated != 1:
        raise InvalidTransition(f"proposal #{proposal.pk} is {proposal.status}: it cannot be released")
    with acting_as(Actor.for_user(user)):
        why = f": {reason.strip()}" if reason.strip() else ""
        return write_history(proposal, f"released by {user_label(user)}{why}")


def proposals_expire(*, now: dt.datetime | None = None) -> int:
    """Pending proposals past their expiry become `expired` (final: they fail closed). Returns the count."""
    now = now or timezone.now()
    count = 0
    for proposal in ProposedAction.objects.filter(status=Status.PENDING, expires_at__lte=now).only("pk", "expires_at"):
        if expire_one(proposal, now):
            count += 1
    return count
