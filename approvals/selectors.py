"""Reads of proposals, scoped by division in the queryset (not only in templates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from divisions import permissions

from . import registry
from .errors import InvalidArguments
from .models import Category, Decision, Execution, ProposedAction, Status

# Work still in flight: waiting for people, approved, or running.
OPEN_STATUSES = (Status.PENDING, Status.APPROVED, Status.EXECUTING)
# Internal work done this recently counts as open too: a second cycle the same day must not
# redo the brief or the report that policy approved and executed at once.
INTERNAL_DONE_WINDOW = dt.timedelta(hours=20)


def _base() -> QuerySet[ProposedAction]:
    return ProposedAction.objects.select_related("division", "proposed_by", "agent_run", "revision_of")


def proposals_visible_to(user: Any) -> QuerySet[ProposedAction]:
    """Owners see all; members see their divisions' proposals; anyone else sees none."""
    if permissions.is_owner(user):
        return _base()
    return _base().filter(division__in=permissions.visible_divisions(user))


def proposals_decidable_by(user: Any) -> QuerySet[ProposedAction]:
    """Pending proposals in the divisions where the user approves or directs (owners: all)."""
    qs = _base().filter(status=Status.PENDING)
    if permissions.is_owner(user):
        return qs
    return qs.filter(division__in=permissions.deciding_divisions(user))


def decisions_for(proposal: ProposedAction) -> QuerySet[Decision]:
    return Decision.objects.filter(proposal=proposal).select_related("user").order_by("at")


def executions_for(proposal: ProposedAction) -> QuerySet[Execution]:
    return Execution.objects.filter(proposal=proposal).order_by("attempt")


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


def busy_targets(*, action_type: str, agent_key: str | None = None) -> set[str]:
    """Every target an open proposal of this type acts on (one query): a specialist skips these
    before it analyses them again."""
    return {
        target
        for args in open_proposals(action_type=action_type, agent_key=agent_key).values_list("args", flat=True)
        for target in registry.targets_of(action_type, args)
    }
