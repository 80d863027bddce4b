"""Reads of the agent records: runs of a cycle, the cycle's report."""

from __future__ import annotations

import importlib
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from agents.models import AgentKind, AgentRun, Cycle

_KIND_ORDER = Case(
    When(agent__kind=AgentKind.SPECIALIST, then=Value(0)),
    When(agent__kind=AgentKind.DIRECTOR, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def runs_of_cycle(cycle: Cycle) -> QuerySet[AgentRun]:
    """The cycle's runs in the order they ran: specialists, directors, orchestrator."""
    return (
        AgentRun.objects.filter(cycle=cycle)
        .select_related("agent", "agent__division")
        .annotate(phase_order=_KIND_ORDER)
        .order_by("phase_order", "agent__key", "pk")
    )


def cycle_report(cycle: Cycle) -> dict[str, Any]:
    """What `atlas_run --json` prints: the runs, the proposals, the memory written, the briefing."""
    from approvals.models import ProposedAction
    from memory.models import MemoryEntry

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
        "briefing": briefing_of(cycle),
    }


def briefing_of(cycle: Cycle) -> dict[str, Any] | None:
    """The orchestrator's `briefing_json(cycle)` when the orchestrator package provides it."""
    try:
        orchestrator = importlib.import_module("agents.orchestrator")
    except ModuleNotFoundError as exc:
        if exc.name != "agents.orchestrator":
            raise
        return None
    briefing_json = getattr(orchestrator, "briefing_json", None)
    return briefing_json(cycle) if briefing_json is not None else None
