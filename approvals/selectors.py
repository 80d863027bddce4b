"""Reads of proposals, scoped by division in the queryset (not only in templates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from divisions import permissions

from .models import Decision, Execution, ProposedAction, Status

if TYPE_CHECKING:
    from divisions.permissions import Someone


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
