"""Reads of proposals, scoped by division in the queryset (not only in templates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from divisions import permissions
from memory.selectors import current

from . import registry
from .errors import ApprovalError, InvalidArguments
from .models import Category, Decision, Execution, ProposedAction, Status, Verdict

if TYPE_CHECKING:
    from divisions.permissions import Someone

# Work still in flight: waiting for people, approved, or running.
OPEN_STATUSES = (Status.PENDING, Status.APPROVED, Status.EXECUTING)
# Internal work done this recently counts as open too: a second cycle the same day must not
# redo the brief or the report that policy approved and executed at once.
INTERNAL_DONE_WINDOW = dt.timedelta(hours=20)


def _base() -> QuerySet[ProposedAction]:
    return ProposedAction.objects.select_related("division", "proposed_by", "agent_run", "revision_of")


def proposals_visible_to(user: Someone) -> QuerySet[ProposedAction]:
    """Owners see all; members see their divisions' proposals; anyone else sees none."""
    if permissions.is_owner(user):
        return _base()
    return _base().filter(division__in=permissions.visible_divisions(user))


def proposals_decidable_by(user: Someone) -> QuerySet[ProposedAction]:
    """Pending proposals in the divisions where the user approves or directs (owners: all)."""
    qs = _base().filter(status=Status.PENDING)
    if permissions.is_owner(user):
        return qs
    return qs.filter(division__in=permissions.deciding_divisions(user))


def decisions_for(proposal: ProposedAction) -> QuerySet[Decision]:
    return Decision.objects.filter(proposal=proposal).select_related("user").order_by("at")


def executions_for(proposal: ProposedAction) -> QuerySet[Execution]:
    return Execution.objects.filter(proposal=proposal).order_by("attempt")


# --- rejections agents must honour ------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """A person's rejection of a proposal on a target, still inside its cooldown."""

    proposal: ProposedAction
    at: dt.datetime
    until: dt.datetime
    reason: str

    def describe(self) -> str:
        return f"#{self.proposal.pk} was rejected on {self.at:%Y-%m-%d} ({self.reason or 'no reason given'})"


def recent_rejection(action_type: str, args: dict[str, Any], *, now: dt.datetime | None = None) -> Rejection | None:
    """The latest rejection of a proposal of this type on the same target inside the type's cooldown, if any.

    The target is the action type's `target_fields` of the arguments (the campaign, the SKU): a person
    who refused a budget cut on a campaign refused cutting that campaign, not only that exact amount.
    """
    try:
        action = registry.get(action_type)
        target = action.target(action.dump(action.parse(args)))
    except ApprovalError:
        return None  # proposal_create names the problem and the run records it
    days = action.cooldown_days()
    if days <= 0:
        return None
    now = now or timezone.now()
    decisions = (
        Decision.objects.filter(
            verdict=Verdict.REJECT,
            at__gte=now - dt.timedelta(days=days),
            proposal__action_type=action_type,
            proposal__status=Status.REJECTED,
        )
        .select_related("proposal")
        .order_by("-at", "-pk")
    )
    for decision in decisions:
        if action.target(decision.proposal.args) == target:
            return Rejection(
                proposal=decision.proposal,
                at=decision.at,
                until=decision.at + dt.timedelta(days=days),
                reason=decision.comment or decision.proposal.status_reason,
            )
    return None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _moved(before: Any, after: Any, threshold: float) -> str | None:
    """'120 -> 60 (-50%)' when two numbers differ by more than the threshold (relative), else None."""
    old, new = _number(before), _number(after)
    if old is None or new is None or old == new:
        return None
    if old == 0:
        return f"{old} -> {new}"
    change = (new - old) / abs(old)
    if abs(change) <= Decimal(str(threshold)):
        return None
    return f"{old.normalize():f} -> {new.normalize():f} ({change:+.0%})"


def basis_changes(rejected: ProposedAction, *, args: dict[str, Any], threshold: float | None = None) -> list[str]:
    """What moved materially since `rejected` was proposed: the numbers it rested on, in words.

    Two sources of numbers: the row values of its basis (a campaign's budget) against the same rows
    now, and the keyed memory entries it cited as evidence (ROAS, days of cover) against their
    current values. Empty when nothing moved by more than the threshold (ATLAS_REJECT_MATERIAL_CHANGE).
    """
    threshold = settings.ATLAS_REJECT_MATERIAL_CHANGE if threshold is None else threshold
    changes: list[str] = []
    action = registry.get(rejected.action_type)
    try:
        now_basis = action.basis(action.parse(args))
    except (ApprovalError, ValueError):
        now_basis = {}
    for row, fields in sorted((rejected.basis or {}).items()):
        for name, before in sorted((fields or {}).items()):
            moved = _moved(before, (now_basis.get(row) or {}).get(name), threshold)
            if moved:
                changes.append(f"{row} {name} {moved}")
    for entry in rejected.evidence.exclude(key__isnull=True).exclude(key=""):
        latest = current(entry.key) if entry.key else None
        if latest is None or latest.pk == entry.pk:
            continue
        moved = _moved(entry.value, latest.value, threshold)
        if moved:
            changes.append(f"{entry.key} {moved}")
    return changes


def open_proposals(
    *, action_type: str, agent_key: str | None = None, now: dt.datetime | None = None
) -> QuerySet[ProposedAction]:
    """Proposals of this type still in flight (see OPEN_STATUSES and INTERNAL_DONE_WINDOW),
    optionally only one agent's: the one definition of "already proposed"."""
    action = registry.get(action_type)
    in_flight = Q(status__in=OPEN_STATUSES)
    if action.category == Category.INTERNAL:
        in_flight |= Q(status=Status.EXECUTED, created_at__gte=(now or timezone.now()) - INTERNAL_DONE_WINDOW)
    qs = ProposedAction.objects.filter(in_flight, action_type=action_type)
    if agent_key:
        qs = qs.filter(agent_key=agent_key)
    return qs.order_by("pk")


def open_twin(
    *, action_type: str, args: dict[str, Any], agent_key: str | None = None, now: dt.datetime | None = None
) -> ProposedAction | None:
    """The open proposal that already does exactly this: same type and the same arguments once
    the type has normalised them ("80" and "80.00" are one budget), oldest first. Other arguments
    on the same target are other work (see `busy_targets` for "is this target taken?"). Unknown
    types and arguments that do not parse raise, as `proposal_create` would."""
    action = registry.get(action_type)
    wanted = action.parse(args)
    for candidate in open_proposals(action_type=action_type, agent_key=agent_key, now=now).only("pk", "args", "status"):
        if _parses_to(action, candidate.args, wanted):
            return candidate
    return None


def _parses_to(action: registry.ActionType, stored: dict, wanted: Any) -> bool:
    if stored == action.dump(wanted):
        return True
    try:
        return action.parse(stored) == wanted  # pydantic compares values: Decimal 80 == 80.00
    except InvalidArguments:
        return False  # its rows changed since (a deleted campaign): it does not stand for this work


def open_on_target(*, action_type: str, target: str) -> ProposedAction | None:
    """The oldest open proposal of this type acting on `target` ("sku:LA-220"), whatever its other
    arguments: the one a person's request for the same target is pointed at."""
    for candidate in open_proposals(action_type=action_type).only("pk", "args", "status", "title"):
        if target in registry.targets_of(action_type, candidate.args):
            return candidate
    return None


RECENT_ON_TARGET = dt.timedelta(days=30)
# How many of the newest proposals are scanned for a target: a prompt's cost stays flat as history grows.
ON_TARGET_SCAN = 300


def proposals_on_targets(targets: Iterable[str], *, limit: int = 8) -> list[ProposedAction]:
    """The open and recent (30 days) proposals acting on any of `targets` ("sku:LA-220"), newest
    first, with their decisions prefetched: what an agent reads before it proposes on them."""
    wanted = set(targets)
    if not wanted:
        return []
    since = timezone.now() - RECENT_ON_TARGET
    recent = (
        ProposedAction.objects.filter(Q(status__in=OPEN_STATUSES) | Q(created_at__gte=since))
        .prefetch_related("decisions")
        .order_by("-created_at", "-pk")[:ON_TARGET_SCAN]
    )
    found: list[ProposedAction] = []
    for proposal in recent:
        try:
            acts_on = set(registry.targets_of(proposal.action_type, proposal.args))
        except ApprovalError:
            continue  # a type no longer registered acts on nothing we can name
        if acts_on & wanted:
            found.append(proposal)
            if len(found) >= limit:
                break
    return found


def busy_targets(*, action_type: str, agent_key: str | None = None) -> set[str]:
    """Every target an open proposal of this type acts on (one query): a specialist skips these
    before it analyses them again."""
    return {
        target
        for args in open_proposals(action_type=action_type, agent_key=agent_key).values_list("args", flat=True)
        for target in registry.targets_of(action_type, args)
    }
