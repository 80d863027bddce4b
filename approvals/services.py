"""Every state change of a proposal: create, decide, hold, expire (execution lives in `approvals.executor`).

Each service checks the transition, the person's division role and the policy, runs in one
transaction, moves the proposal with a conditional update (`filter(pk, status=...).update(...)`,
one row or nothing: portable to SQLite, and on PostgreSQL the row lock serialises concurrent
deciders) and writes the history row with its actor. A bad input raises an `ApprovalError`
before anything is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import pydantic
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from atlas_project.audit import POLICY, SYSTEM, Actor, acting_as, current_actor
from divisions import permissions
from divisions.models import Division

from . import hooks, policy, registry
from .errors import InvalidArguments, InvalidTransition, NotPermitted, StaleBasis
from .executor import dispatch_on_commit, executions_sweep, proposal_execute
from .models import Decision, ProposedAction, Status, Verdict

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

CENT = Decimal("0.01")


# --- helpers -----------------------------------------------------------------------------------


def _division(division: Division | str) -> Division:
    if isinstance(division, Division):
        return division
    try:
        return Division.objects.get(slug=division)
    except Division.DoesNotExist:
        known = ", ".join(Division.objects.values_list("slug", flat=True))
        raise InvalidArguments(f"division={division!r}: no such division (known: {known})") from None


def _describe(action: registry.ActionType, args: pydantic.BaseModel) -> dict[str, Any]:
    """What approvals stores about the arguments: money, words, basis. Domain errors name the field."""
    try:
        action.check(args)
        money = Decimal(action.money_at_stake(args)).quantize(CENT, rounding=ROUND_HALF_UP)
        basis = action.basis(args)
        info = {
            "money_at_stake": money,
            "preview": action.preview(args),
            "title": action.title(args)[:200],
            "basis": basis,
            "basis_fingerprint": registry.fingerprint(basis),
            "currency": action.currency(args),
        }
    except (ObjectDoesNotExist, ValueError) as exc:
        raise InvalidArguments(f"{action.key}: {exc}") from exc
    if money < 0:
        raise InvalidArguments(f"{action.key}: money at stake must not be negative, got {money}")
    return info


def _user_label(user: Any) -> str:
    return Actor.for_user(user).label


def _write_history(proposal: ProposedAction, reason: str) -> ProposedAction:
    """Reload after a conditional update and save once, so simple-history records the new state."""
    proposal.refresh_from_db()
    proposal._change_reason = reason[:100]
    proposal.save(update_fields=["updated_at"])
    return proposal


def _transition(
    proposal: ProposedAction,
    *,
    from_statuses: Iterable[str],
    to: str,
    reason: str,
    extra_filter: dict | None = None,
    **fields: Any,
) -> ProposedAction:
    """Move the proposal if (and only if) it is still in one of `from_statuses`; else InvalidTransition."""
    from_statuses = list(from_statuses)
    updated = ProposedAction.objects.filter(pk=proposal.pk, status__in=from_statuses, **(extra_filter or {})).update(
        status=to, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        current = ProposedAction.objects.filter(pk=proposal.pk).values_list("status", flat=True).first()
        raise InvalidTransition(
            f"proposal #{proposal.pk} is {current or 'gone'}, not {' or '.join(from_statuses)}: cannot become {to}"
        )
    return _write_history(proposal, reason)


def memory_author(proposal: ProposedAction, user: Any = None) -> dict[str, Any] | None:
    """Memory needs one author: the deciding person, else the proposing agent run, else a person who
    approved or proposed it. None when nobody is on record (a system-made proposal)."""
    if user is not None:
        return {"author_user": user}
    if proposal.agent_run_id is not None:
        return {"author_run": proposal.agent_run}
    approver = (
        Decision.objects.filter(proposal=proposal, user__isnull=False).select_related("user").order_by("-at").first()
    )
    if approver is not None:
        return {"author_user": approver.user}
    if proposal.proposed_by_id is not None:
        return {"author_user": proposal.proposed_by}
    return None


def remember_about(
    proposal: ProposedAction, *, kind: str, text: str, user: Any = None, data: dict | None = None
) -> None:
    """Decisions and outcomes go to the shared memory, so tomorrow's agents know what was done and why."""
    from memory.services import remember

    author = memory_author(proposal, user)
    if author is None:
        logger.info("proposal %s: no author on record, %s not written to memory", proposal.pk, kind)
        return
    remember(
        text=text[:4000],
        kind=kind,
        subject=(proposal.title or proposal.action_type)[:200],
        data={"proposal": proposal.pk, "action_type": proposal.action_type, "args": proposal.args, **(data or {})},
        division=proposal.division,
        evidence=[{"model": "approvals.proposedaction", "pk": proposal.pk, "version": None}],
        **author,
    )


def _require_decider(proposal: ProposedAction, user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotPermitted(f"proposal #{proposal.pk}: a signed-in, active user must decide")
    if not permissions.can_decide(user, proposal.division_id):
        role = permissions.role_in(user, proposal.division_id)
        held = f"only {role}" if role else "no role"
        raise NotPermitted(
            f"proposal #{proposal.pk}: {user.get_username()} has {held} in {proposal.division.name}; "
            "deciding needs the approver or director role there (or an owner)"
        )


def _reload(proposal: ProposedAction | int) -> ProposedAction:
    pk = proposal.pk if isinstance(proposal, ProposedAction) else proposal
    try:
        return ProposedAction.objects.select_related("division", "proposed_by").get(pk=pk)
    except ProposedAction.DoesNotExist:
        raise InvalidTransition(f"proposal #{pk} does not exist") from None


def _expire_one(proposal: ProposedAction, now: dt.datetime) -> bool:
    """Pending past its expiry: expired, in its own transaction (it stands even if the caller fails)."""
    try:
        with transaction.atomic(), acting_as(SYSTEM):
            _transition(
                proposal,
                from_statuses=[Status.PENDING],
                to=Status.EXPIRED,
                reason="expired",
                extra_filter={"expires_at__lte": now},
                status_reason=f"expired at {proposal.expires_at:%Y-%m-%d %H:%M %Z} without the approvals it needed",
            )
    except InvalidTransition:
        return False
    return True


def _require_open(proposal: ProposedAction, *, for_approval: bool) -> None:
    """Pending, not expired and (for an approval) not held: else a clear error, nothing changed."""
    now = timezone.now()
    if proposal.status == Status.PENDING and proposal.expires_at and proposal.expires_at <= now:
        _expire_one(proposal, now)
        raise InvalidTransition(f"proposal #{proposal.pk} expired at {proposal.expires_at:%Y-%m-%d %H:%M %Z}")
    if proposal.status != Status.PENDING:
        raise InvalidTransition(f"proposal #{proposal.pk} is {proposal.status}, not pending: it cannot be decided")
    if for_approval and proposal.is_held:
        raise InvalidTransition(
            f"proposal #{proposal.pk} is on hold ({proposal.hold_reason}); release it before approving"
        )


def _check_basis(proposal: ProposedAction, action: registry.ActionType) -> None:
    """Rows changed since the proposal was made: `stale` (committed on its own) and StaleBasis."""
    reason = basis_drift(proposal, action)
    if not reason:
        return
    with transaction.atomic(), acting_as(current_actor() or SYSTEM), contextlib.suppress(InvalidTransition):
        _transition(
            proposal, from_statuses=[Status.PENDING], to=Status.STALE, reason="stale basis", status_reason=reason
        )
    raise StaleBasis(f"proposal #{proposal.pk} is stale: {reason}")


def basis_drift(proposal: ProposedAction, action: registry.ActionType) -> str:
    """Empty when the basis still holds; else what changed, in words."""
    try:
        args = action.parse(proposal.args)
        now_basis = action.basis(args)
    except (ObjectDoesNotExist, ValueError, InvalidArguments) as exc:
        return f"its basis can no longer be read ({exc})"
    if registry.fingerprint(now_basis) == proposal.basis_fingerprint:
        return ""
    changes = []
    for row in sorted(set(proposal.basis) | set(now_basis)):
        before, after = proposal.basis.get(row), now_basis.get(row)
        if before != after:
            if isinstance(before, dict) and isinstance(after, dict):
                for field in sorted(set(before) | set(after)):
                    if before.get(field) != after.get(field):
                        changes.append(f"{row}.{field}: {before.get(field)} -> {after.get(field)}")
            else:
                changes.append(f"{row}: {before} -> {after}")
    return "the data it rests on changed since it was proposed (" + "; ".join(changes) + ")"


def _lock_pending(proposal: ProposedAction, *, for_approval: bool) -> None:
    """Claim the row for this decision: on PostgreSQL the UPDATE's row lock serialises deciders."""
    qs = ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING)
    if for_approval:
        qs = qs.filter(hold_reason="")
    if qs.update(updated_at=timezone.now()) != 1:
        fresh = _reload(proposal)
        _require_open(fresh, for_approval=for_approval)
        raise InvalidTransition(f"proposal #{proposal.pk} changed while deciding; try again")


def _approve_if_satisfied(proposal: ProposedAction, *, reason: str) -> ProposedAction:
    status = policy.approvals_status(proposal)
    if not status.satisfied:
        return _reload(proposal)
    proposal = _transition(
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
    division_row = _division(division)
    if not isinstance(rationale, str) or not rationale.strip():
        raise InvalidArguments(f"{action_type}: rationale must not be empty")
    info = _describe(action, parsed)
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
    proposal = _reload(proposal)
    _require_decider(proposal, user)
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise NotPermitted(f"proposal #{proposal.pk}: {user.get_username()} proposed it and cannot approve it")
    _require_open(proposal, for_approval=True)
    action = registry.get(proposal.action_type)
    _check_basis(proposal, action)
    return _record_approval(proposal, user=user, verdict=Verdict.APPROVE, comment=comment, via=via)


@transaction.atomic
def _record_approval(
    proposal: ProposedAction, *, user: Any, verdict: str, comment: str, via: str, args_diff: dict | None = None
) -> ProposedAction:
    _lock_pending(proposal, for_approval=True)
    if Decision.objects.filter(proposal=proposal, user=user, verdict__in=policy.APPROVING_VERDICTS).exists():
        raise InvalidTransition(f"proposal #{proposal.pk}: {user.get_username()} has already approved it")
    label = _user_label(user)
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
    proposal = _reload(proposal)
    _require_decider(proposal, user)
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise NotPermitted(f"proposal #{proposal.pk}: {user.get_username()} proposed it and cannot approve it")
    _require_open(proposal, for_approval=True)
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
    _check_basis(proposal, action)
    info = _describe(action, parsed)
    with transaction.atomic():
        updated = ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING, hold_reason="").update(
            args=new_args, updated_at=timezone.now(), **info
        )
        if updated != 1:
            raise InvalidTransition(f"proposal #{proposal.pk} changed while editing; try again")
        with acting_as(Actor.for_user(user)):
            _write_history(proposal, f"edited by {_user_label(user)}")
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
    label = _user_label(user)
    with acting_as(Actor.for_user(user)):
        proposal = _transition(
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
    proposal = _reload(proposal)
    _require_decider(proposal, user)
    if not isinstance(comment, str) or not comment.strip():
        raise InvalidArguments(f"proposal #{proposal.pk}: sending back needs a comment for the agent")
    _require_open(proposal, for_approval=False)
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
    proposal = _reload(proposal)
    _require_decider(proposal, user)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidArguments(f"proposal #{proposal.pk}: rejecting needs a reason")
    _require_open(proposal, for_approval=False)
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
    proposal = _reload(proposal)
    _require_decider(proposal, user)
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
    proposal = _reload(proposal)
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
        return _write_history(proposal, "held")


@transaction.atomic
def proposal_release(*, proposal: ProposedAction, user: AbstractBaseUser) -> ProposedAction:
    proposal = _reload(proposal)
    _require_decider(proposal, user)
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
        return _write_history(proposal, f"released by {_user_label(user)}")


def proposals_expire(*, now: dt.datetime | None = None) -> int:
    """Pending proposals past their expiry become `expired` (final: they fail closed). Returns the count."""
    now = now or timezone.now()
    count = 0
    for proposal in ProposedAction.objects.filter(status=Status.PENDING, expires_at__lte=now).only("pk", "expires_at"):
        if _expire_one(proposal, now):
            count += 1
    return count
