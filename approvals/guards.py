"""The checks and the conditional move that every decision on a proposal shares.

`approvals.services` composes them into the services; nothing here decides on its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pydantic
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from atlas_project.audit import SYSTEM, Actor, acting_as, current_actor, history_write
from divisions import permissions
from divisions.models import Division

from . import registry
from .errors import InvalidArguments, InvalidTransition, NotPermitted, StaleBasis
from .models import ProposedAction, Status
from .valuing import value_at_stake

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from divisions.permissions import Someone
    from memory.models import MemoryEntry

CENT = Decimal("0.01")


def division_of(division: Division | str) -> Division:
    if isinstance(division, Division):
        return division
    try:
        return Division.objects.get(slug=division)
    except Division.DoesNotExist:
        known = ", ".join(Division.objects.values_list("slug", flat=True))
        raise InvalidArguments(f"division={division!r}: no such division (known: {known})") from None


def describe(
    action: registry.ActionType, args: pydantic.BaseModel, *, evidence: Iterable[MemoryEntry] = ()
) -> dict[str, Any]:
    """What approvals stores about the arguments: money, value, words, basis. Domain errors name the field."""
    try:
        action.check(args)
        money = Decimal(action.money_at_stake(args)).quantize(CENT, rounding=ROUND_HALF_UP)
        basis = action.basis(args)
        value = value_at_stake(action, args, money=money, evidence=evidence)
        info = {
            "money_at_stake": money,
            "value_at_stake": value.amount,
            "value_kind": value.kind[:60],
            "value_basis": value.how,
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


def user_label(user: User) -> str:
    return Actor.for_user(user).label


def transition(
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
    history_write([proposal], reason=reason)
    return proposal


def require_decider(proposal: ProposedAction, user: Someone) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotPermitted(f"proposal #{proposal.pk}: a signed-in, active user must decide")
    if not permissions.can_decide(user, proposal.division_id):
        role = permissions.role_in(user, proposal.division_id)
        held = f"only {role}" if role else "no role"
        raise NotPermitted(
            f"proposal #{proposal.pk}: {user.get_username()} has {held} in {proposal.division.name}; "
            "deciding needs the approver or director role there (or an owner)"
        )


def reload(proposal: ProposedAction | int) -> ProposedAction:
    pk = proposal.pk if isinstance(proposal, ProposedAction) else proposal
    try:
        return ProposedAction.objects.select_related("division", "proposed_by").get(pk=pk)
    except ProposedAction.DoesNotExist:
        raise InvalidTransition(f"proposal #{pk} does not exist") from None


def expire_one(proposal: ProposedAction, now: dt.datetime) -> bool:
    """Pending past its expiry: expired, in its own transaction (it stands even if the caller fails)."""
    try:
        with transaction.atomic(), acting_as(SYSTEM):
            transition(
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


def require_open(proposal: ProposedAction, *, for_approval: bool) -> None:
    """Pending, not expired and (for an approval) not held: else a clear error, nothing changed."""
    now = timezone.now()
    if proposal.status == Status.PENDING and proposal.expires_at and proposal.expires_at <= now:
        expire_one(proposal, now)
        raise InvalidTransition(f"proposal #{proposal.pk} expired at {proposal.expires_at:%Y-%m-%d %H:%M %Z}")
    if proposal.status != Status.PENDING:
        raise InvalidTransition(f"proposal #{proposal.pk} is {proposal.status}, not pending: it cannot be decided")
    if for_approval and proposal.is_held:
        raise InvalidTransition(
            f"proposal #{proposal.pk} is on hold ({proposal.hold_reason}); release it before approving"
        )


def check_basis(proposal: ProposedAction, action: registry.ActionType) -> None:
    """Rows changed since the proposal was made: `stale` (committed on its own) and StaleBasis."""
    reason = basis_drift(proposal, action)
    if not reason:
        return
    with transaction.atomic(), acting_as(current_actor() or SYSTEM), contextlib.suppress(InvalidTransition):
        transition(
            proposal, from_statuses=[Status.PENDING], to=Status.STALE, reason="stale basis", status_reason=reason
        )
    raise StaleBasis(f"proposal #{proposal.pk} is stale: {reason}")


def basis_drift(proposal: ProposedAction, action: registry.ActionType, *, args: Any = None) -> str:
    """Empty when the basis still holds; else what changed, in words. `args`: the proposal's args
    parsed already (the executor has them), else they are parsed here."""
    try:
        if args is None:
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


def lock_pending(proposal: ProposedAction, *, for_approval: bool) -> None:
    """Claim the row for this decision: on PostgreSQL the UPDATE's row lock serialises deciders."""
    qs = ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING)
    if for_approval:
        qs = qs.filter(hold_reason="")
    if qs.update(updated_at=timezone.now()) != 1:
        fresh = reload(proposal)
        require_open(fresh, for_approval=for_approval)
        raise InvalidTransition(f"proposal #{proposal.pk} changed while deciding; try again")
