"""Benchmark support: time one cycle and compare it with its critical path of LLM calls.

The critical path is, phase by phase (specialists, directors, orchestrator), the slowest run's
total LLM latency; a cycle whose specialists' calls run concurrently takes about that long, a
sequential one about the sum. Point the openai provider at a slow OpenAI-compatible server first
(e.g. `bench.fake_openai.FakeOpenAI(latency=1.0)`; settings OPENAI_BASE_URL etc.), as the cycle part
of `atlas_bench` does (bench/parts/cycle.py).
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from django.db.models import Sum

from agents.models import AgentRun, Cycle
from agents.runtime import registry
from agents.runtime.services import cycle_start


def critical_path_seconds(cycle: Cycle) -> float:
    per_phase: dict[str, float] = defaultdict(float)
    runs = AgentRun.objects.filter(cycle=cycle).select_related("agent").annotate(latency=Sum("calls__latency_ms"))
    for run in runs:
        per_phase[run.agent.kind] = max(per_phase[run.agent.kind], (run.latency or 0) / 1000)
    return sum(per_phase.values())


def time_cycle(*, division: str | None = None, warm: bool = True) -> dict[str, Any]:
    """Run one cycle in-process and return wall time, critical path and their ratio.

    `warm`: import the agents and the LLM client before the clock starts, as a qcluster worker
    does when it spawns (`agents.apps`); a cold process adds about a second of imports.
    """
    if warm:
        registry.warm_up()
    started = time.monotonic()
    cycle = cycle_start(trigger="manual", division=division, sync=True)
    wall = time.monotonic() - started
    critical = critical_path_seconds(cycle)
    runs = AgentRun.objects.filter(cycle=cycle)
    return {
        "cycle": cycle.pk,
        "runs": runs.count(),
        "llm_calls": runs.aggregate(n=Sum("llm_calls"))["n"] or 0,
        "wall_seconds": round(wall, 3),
        "critical_path_seconds": round(critical, 3),
        "ratio": round(wall / critical, 3) if critical else None,
    }
