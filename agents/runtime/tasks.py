"""django-q2 tasks: each fetches by id and calls a service."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def run_agent(run_id: int) -> str:
    """One agent run of a cycle (or an intent, a revision); then move its cycle on if it was the last."""
    from agents.runtime.services import agent_run_execute, cycle_advance

    run = agent_run_execute(run_id=run_id)
    if run.cycle_id:
        cycle_advance(cycle_id=run.cycle_id)
    return f"{run.agent.key} run {run.pk}: {run.status}"


def run_agents(run_ids: list[int]) -> str:
    """A batch of runs of one phase, concurrently in threads (their LLM calls overlap); then move the cycle on."""
    from agents.runtime.services import run_batch

    runs = run_batch(list(run_ids))
    return ", ".join(f"{r.agent.key} run {r.pk}: {r.status}" for r in runs)


def start_cycle(trigger: str = "schedule", division: str | None = None, agent_key: str | None = None) -> str:
    from agents.runtime.services import CycleAlreadyRunning, cycle_start

    try:
        cycle = cycle_start(trigger=trigger, division=division, agent_key=agent_key)
    except CycleAlreadyRunning as exc:
        logger.info("%s", exc)
        return str(exc)
    return f"cycle {cycle.pk} started"


__all__ = ["run_agent", "run_agents", "start_cycle"]
