"""Reads of the agent records: runs of a cycle, the cycle's report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from agents.models import AgentKind, AgentRun, Cycle
from approvals.models import ProposedAction
from divisions import permissions
from memory.models import MemoryEntry

_KIND_ORDER = Case(
    When(agent__kind=AgentKind.SPECIALIST, then=Value(0)),
    When(agent__kind=AgentKind.DIRECTOR, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)

if TYPE_CHECKING:
    from divisions.permissions import Someone


def runs_visible_to(user: Someone, runs: QuerySet[AgentRun] | None = None) -> QuerySet[AgentRun]:
    """A run's errors and context belong to its division: staff see their divisions' agents and the
    brand-wide ones (the orchestrator); owners see all."""
    runs = AgentRun.objects.all() if runs is None else runs
    if permissions.is_owner(user):
        return runs
    visible = permissions.visible_divisions(user)
    return runs.filter(Q(agent__division__isnull=True) | Q(agent__division__in=visible))


def runs_of_cycle(cycle: Cycle) -> QuerySet[AgentRun]:
    """The cycle's runs in the order they ran: specialists, directors, orchestrator."""
    return (
        AgentRun.objects.filter(cycle=cycle)
        .select_related("agent", "agent__division")
        .annotate(phase_order=_KIND_ORDER)
        .order_by("phase_order", "agent__key", "pk")
    )


def cycle_report(cycle: Cycle) -> dict[str, Any]:
    """The runs, the proposals and the memory written of a cycle (`atlas_run --json` adds the briefing)."""
    runs = [
        {
            "agent": run.agent.key,
            "division": run.agent.division.slug if run.agent.division else None,
            "status": run.status,
            "error": run.error,
            "llm_calls": run.llm_calls,
            "tokens_in": run.tokens_in,
            "tokens_out": run.tokens_out,
            "cost": str(run.cost),
        }
        for run in runs_of_cycle(cycle)
    ]
    proposals = [
        {
            "id": p.pk,
            "agent": p.agent_key,
            "division": p.division.slug,
            "action": p.action_type,
            "category": p.category,
            "status": p.status,
            "args": p.args,
            "rationale": p.rationale,
            "money_at_stake": str(p.money_at_stake),
        }
        for p in ProposedAction.objects.filter(agent_run__cycle=cycle).select_related("division").order_by("pk")
    ]
    return {
        "cycle": cycle.pk,
        "runs": runs,
        "proposals": proposals,
        "memory_written": MemoryEntry.objects.filter(author_run__cycle=cycle).count(),
    }
