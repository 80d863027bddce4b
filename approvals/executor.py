"""Exactly-once execution of approved proposals: claim, check, execute idempotently, log, sweep.

The approval queues `approvals.tasks.execute_proposal` after commit. The executor claims the
proposal with a conditional update (approved -> executing, a fresh claim token, attempts + 1), so
of many concurrent executors one wins. It checks again that the approvals satisfy the policy
(whatever path approved it), that the basis still holds and that the division's daily spend cap
allows it, then calls the action type with the idempotency key `proposal-<id>`: a repeated call
(a retry, a worker killed after the effect) is a no-op in the domain's ledger. Every attempt is
an append-only Execution row.

The sweeper re-dispatches approved proposals whose execution never started, retries that are due
and claims that expired (a killed worker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from atlas_project.audit import Actor, acting_as, history_write
from atlas_project.request_cache import request_scope

from . import policy, registry
from .errors import ActionNotDue, ApprovalError, TransientActionError
from .models import Category, Decision, Execution, ProposedAction, Status

logger = logging.getLogger(__name__)

EXECUTOR = Actor(label="executor")
EXECUTE_TASK = "approvals.tasks.execute_proposal"
# Backoff of transient failures: 30 s, 60 s, 120 s, ... (the sweeper picks up due retries).
RETRY_BASE_SECONDS = 30
# An approval the queue has not picked up within this long is dispatched again by the sweeper.
DISPATCH_GRACE = dt.timedelta(seconds=60)

_inline: ContextVar[bool] = ContextVar("atlas_execute_inline", default=False)


@contextlib.contextmanager
def executing_inline() -> Iterator[None]:
    """Within this block executions run in-process (the `--sync` flag of the commands)."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def runs_inline() -> bool:
    return _inline.get() or bool(getattr(settings, "ATLAS_EXECUTE_SYNC", False))


def idempotency_key_for(proposal_id: int) -> str:
    return f"proposal-{proposal_id}"


def dispatch(proposal_id: int, *, inline: bool | None = None) -> None:
    if runs_inline() if inline is None else inline:
        proposal_execute(proposal_id=proposal_id)
        return
    from django_q.tasks import async_task

    async_task(EXECUTE_TASK, proposal_id, task_name=f"execute-proposal-{proposal_id}-{uuid.uuid4().hex[:8]}")


def dispatch_on_commit(proposal_id: int) -> None:
    # Inline or queued is decided now, where the caller's `executing_inline()` block is in force.
    transaction.on_commit(partial(dispatch, proposal_id, inline=runs_inline()))


def _claim(proposal_id: int, now: dt.datetime) -> str | None:
    token = uuid.uuid4().hex
    claimed = (
        ProposedAction.objects.filter(pk=proposal_id, status=Status.APPROVED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=Status.EXECUTING,
            claim_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            updated_at=now,
        )
    )
    return token if claimed == 1 else None


def _save_history(proposal: ProposedAction, reason: str, *, moved: dict[str, Any] | None = None) -> ProposedAction:
    """The executor's moves are conditional updates: their history names the executor.

    `moved` is the update's fields, mirrored on the instance instead of reloading it: the row holds
    what the update stored (values only; an update with an F() expression reloads). Without it the
    instance is reloaded, except right after `proposal_execute` fetched it (`moved={}`).
    """
    if moved is not None:
        for field, value in moved.items():
            setattr(proposal, field, value)
    with acting_as(EXECUTOR):
        history_write([proposal], reason=reason, refresh=moved is None)
    return proposal


def _decisions(proposal: ProposedAction) -> list[Decision]:
    """The proposal's decisions with their people, oldest first: read once per execution and handed to
    the policy check, the effect's actor, the log's label and the memory's author."""
    return list(Decision.objects.filter(proposal=proposal).select_related("user").order_by("at", "pk"))


def _approving(decisions: list[Decision]) -> list[Decision]:
    return [d for d in decisions if d.verdict in policy.APPROVING_VERDICTS]


def _approvers_label(decisions: list[Decision]) -> str:
    labels = [d.actor_label for d in _approving(decisions)]
    text = "executor; approved by " + (", ".join(labels) or "nobody")
    return text[:120]


def _effect_actor(proposal: ProposedAction, decisions: list[Decision]) -> Actor:
    """Who changed the rows an approved action changes, as their history shows it: the proposal and
    the people who approved it ("proposal #12: approved by growth_approver, finance_director"), with
    the approver who completed the approval as the history's user (the executor itself is no one)."""
    approvals = _approving(decisions)
    names = [d.user.get_username() if d.user is not None else d.actor_label for d in approvals]
    label = f"proposal #{proposal.pk}: approved by {', '.join(names) or 'nobody'}"
    people = [d.user for d in approvals if d.user is not None]
    return Actor(label=label[:200], user=people[-1] if people else None)


def _finish(
    proposal: ProposedAction,
    token: str,
    *,
    to: str,
    started_at: dt.datetime,
    ok: bool,
    result: dict | None = None,
    error: str = "",
    next_attempt_at: dt.datetime | None = None,
    decisions: list[Decision],
) -> Execution | None:
    """Log the attempt and move the proposal, only while this executor still holds the claim."""
    finished_at = timezone.now()
    with transaction.atomic():
        fields: dict[str, Any] = {
            "status": to,
            "updated_at": finished_at,
            "claim_token": "",
            "next_attempt_at": next_attempt_at,
        }
        if to == Status.APPROVED:
            fields["claimed_at"] = None
        if error and to != Status.APPROVED:
            fields["status_reason"] = error[:2000]
        moved = ProposedAction.objects.filter(pk=proposal.pk, status=Status.EXECUTING, claim_token=token).update(
            **fields
        )
        if moved != 1:
            # The sweeper took the claim back (this attempt outlived ATLAS_EXECUTION_CLAIM_TTL); the
            # next attempt repeats the call with the same key, the ledger makes it a no-op and that
            # attempt writes the log.
            logger.warning("proposal %s: claim %s lost before finishing; not logging this attempt", proposal.pk, token)
            return None
        execution = Execution.objects.create(
            proposal=proposal,
            idempotency_key=idempotency_key_for(proposal.pk),
            attempt=proposal.attempts,
            actor_label=_approvers_label(decisions),
            action_type=proposal.action_type,
            args=proposal.args,
            ok=ok,
            result=result or {},
            error=error,
            started_at=started_at,
            finished_at=finished_at,
        )
        reason = {True: "executed"}.get(ok, f"attempt {proposal.attempts}: {to}")
        proposal = _save_history(proposal, reason, moved=fields)
        if to != Status.APPROVED:
            _remember_outcome(proposal, execution, decisions)
    return execution


def _remember_outcome(proposal: ProposedAction, execution: Execution, decisions: list[Decision]) -> None:
    from .remembering import remember_about

    if execution.ok:
        text = f"Executed {proposal.title or proposal.action_type}: {proposal.preview}"
    else:
        text = f"{proposal.title or proposal.action_type} did not execute ({proposal.status}): {execution.error}"
    with acting_as(EXECUTOR):
        remember_about(
            proposal,
            kind="outcome",
            text=text,
            data={"status": proposal.status, "result": execution.result, "error": execution.error},
            decisions=decisions,
        )


def proposal_execute(*, proposal_id: int) -> Execution | None:
    """Execute one approved proposal once. None when another executor has it (or it is not approved)."""
    # One execution is one scope of `per_request` answers (each approver's access, the brand profile):
    # read once for it, never kept for the next task of a long-running worker.
    with request_scope():
        return _execute(proposal_id)


def _execute(proposal_id: int) -> Execution | None:
    now = timezone.now()
    token = _claim(proposal_id, now)
    if token is None:
        return None
    # Read once after the claim, with its division (the cap, the memory), and kept up to date from here
    # on by mirroring each conditional update on it: every fetch here is paid on every execution.
    proposal = ProposedAction.objects.select_related("division").get(pk=proposal_id)
    _save_history(proposal, f"claimed (attempt {proposal.attempts})", moved={})
    # Read before anything is decided, so that the policy check, the effect's actor, the log and the
    # memory all name the same approvals.
    decisions = _decisions(proposal)
    finish = partial(_finish, proposal, token, started_at=now, decisions=decisions)

    try:
        action = registry.get(proposal.action_type)
        args = action.parse(proposal.args)
    except ApprovalError as exc:
        return finish(to=Status.FAILED, ok=False, error=str(exc))

    # Defence in depth: whichever path set `approved`, the approvals on record must satisfy the policy.
    gate = policy.approvals_status(proposal, decisions=decisions)
    if not gate.satisfied:
        return finish(to=Status.FAILED, ok=False, error=f"refused: the approvals on record lack {gate.missing}")

    key = idempotency_key_for(proposal.pk)
    from .guards import basis_drift

    # A previous attempt may have applied the effect and died before logging it: then the basis has
    # moved because of the effect itself, and the cap already counted it; the execute call below
    # returns the stored result without a second effect.
    already = action.applied(key) is not None
    drift = "" if already else basis_drift(proposal, action, args=args)
    if drift:
        return finish(to=Status.STALE, ok=False, error=drift)

    # The rows the action changes get this actor in their history: the proposal and its approvers.
    effect_actor = _effect_actor(proposal, decisions)
    try:
        if proposal.category == Category.SPEND and not already:
            # The cap check and the effect under the division's row lock, so that two spend actions
            # executing at once cannot both fit under the cap that only one of them fits under.
            with transaction.atomic():
                type(proposal.division).objects.select_for_update().get(pk=proposal.division_id)
                breach = policy.spend_cap_breach(proposal, now=now)
                if breach:
                    return finish(to=Status.FAILED, ok=False, error=breach)
                with acting_as(effect_actor):
                    result = action.execute(args, idempotency_key=key)
        else:
            with acting_as(effect_actor):
                result = action.execute(args, idempotency_key=key)
        # After the effect has committed: a slow receiver holds no lock, and hears only of effects
        # that stand. A failure here retries; the next attempt finds the effect applied.
        action.deliver(args, idempotency_key=key)
    except ActionNotDue as exc:
        _defer(proposal, token, until=exc.until)
        return None
    except TransientActionError as exc:
        if proposal.attempts >= settings.ATLAS_EXECUTION_MAX_ATTEMPTS:
            return finish(
                to=Status.FAILED,
                ok=False,
                error=f"gave up after {proposal.attempts} attempts: {exc}",
            )
        delay = dt.timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (proposal.attempts - 1))
        return finish(to=Status.APPROVED, ok=False, error=f"transient: {exc}", next_attempt_at=timezone.now() + delay)
    except Exception as exc:
        logger.exception("proposal %s: %s failed", proposal.pk, proposal.action_type)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return finish(to=Status.FAILED, ok=False, error=detail)
    return finish(to=Status.EXECUTED, ok=True, result=result if isinstance(result, dict) else {"result": result})


def _defer(proposal: ProposedAction, token: str, *, until: dt.datetime) -> None:
    """Scheduled for later: back to `approved` until then; a deferral is not an attempt."""
    moved = ProposedAction.objects.filter(pk=proposal.pk, status=Status.EXECUTING, claim_token=token).update(
        status=Status.APPROVED,
        claim_token="",
        claimed_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=until,
        updated_at=timezone.now(),
    )
    if moved == 1:
        _save_history(proposal, f"scheduled for {until:%Y-%m-%d %H:%M %Z}")
    return None


def executions_sweep(*, now: dt.datetime | None = None) -> int:
    """Re-dispatch what should be executing: expired claims, due retries, approvals never started.

    Returns how many proposals were dispatched.
    """
    now = now or timezone.now()
    claim_ttl = dt.timedelta(seconds=settings.ATLAS_EXECUTION_CLAIM_TTL)
    to_dispatch: list[int] = []
    for proposal in ProposedAction.objects.filter(status=Status.EXECUTING, claimed_at__lt=now - claim_ttl):
        # A worker that claimed and never finished (killed, lost its connection). Hand the claim
        # back; the next attempt repeats the call with the same idempotency key.
        exhausted = proposal.attempts >= settings.ATLAS_EXECUTION_MAX_ATTEMPTS
        fields: dict[str, Any] = {"claim_token": "", "claimed_at": None, "updated_at": now, "next_attempt_at": None}
        if exhausted:
            fields["status"] = Status.FAILED
            fields["status_reason"] = (
                f"the executor stopped {proposal.attempts} times without finishing; "
                f"check the ledger entry {idempotency_key_for(proposal.pk)!r} before proposing again"
            )
        else:
            fields["status"] = Status.APPROVED
        moved = ProposedAction.objects.filter(
            pk=proposal.pk, status=Status.EXECUTING, claim_token=proposal.claim_token
        ).update(**fields)
        if moved == 1:
            reason = "claim expired: failed" if exhausted else "claim expired: re-dispatched"
            _save_history(proposal, reason, moved=fields)
            if not exhausted:
                to_dispatch.append(proposal.pk)
    waiting = ProposedAction.objects.filter(status=Status.APPROVED, claimed_at__isnull=True).filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, updated_at__lt=now - DISPATCH_GRACE)
    )
    to_dispatch.extend(pk for pk in waiting.values_list("pk", flat=True) if pk not in to_dispatch)
    for pk in to_dispatch:
        dispatch(pk)
    return len(to_dispatch)
