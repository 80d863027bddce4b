"""A daily cycle timed through a real `manage.py qcluster` (the cycle part's cluster mode).

The cluster starts on the run's database with the part's settings, and the clock starts at the
trigger (`cycle_start(sync=False)`, as the morning schedule or `atlas_run` without --sync does) once
every worker has logged its warm-up, as a cluster started before the morning hour would have. The
result adds the cluster's startup and, phase by phase, how long the first run waited after the
previous phase ended (broker poll, task pickup) and how long the phase took.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .servers import Cluster, qcluster, queueing_to

PHASES = ("specialist", "director", "orchestrator")
CYCLE_TIMEOUT_S = 900


def _wait_done(cycle_pk: int, cluster: Cluster) -> None:
    from agents.models import Cycle, CycleStatus

    started = time.monotonic()
    while Cycle.objects.filter(pk=cycle_pk, status=CycleStatus.RUNNING).exists():
        cluster.check_alive()
        if time.monotonic() - started > CYCLE_TIMEOUT_S:
            raise RuntimeError(f"cycle {cycle_pk} not done after {CYCLE_TIMEOUT_S} s; see {cluster.log}")
        time.sleep(0.02)


def _warm_trigger() -> None:
    # In production the trigger is a scheduled task inside a warm worker; here a cold first
    # cycle_start would time this process importing the agents and connecting.
    from django_q.brokers import get_broker

    from agents.models import Agent
    from agents.runtime import registry

    registry.warm_up()
    Agent.objects.exists()
    get_broker().ping()


def time_cycle_on_cluster(
    *, database_url: str, redis_url: str | None, env: dict[str, str], workers: int, log: Path
) -> dict[str, Any]:
    """Start a cluster on `database_url` (this process's current database), trigger one cycle, time it
    to done; stop the cluster. Redis is the broker when `redis_url` is given, else the ORM."""
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    from agents.models import AgentRun, CycleStatus
    from agents.runtime.bench import critical_path_seconds
    from agents.runtime.services import cycle_start

    with (
        qcluster(
            database_url=database_url,
            broker="redis" if redis_url else "orm",
            redis_url=redis_url or "",
            workers=workers,
            # django-q2 signs a task with the queueing process's cluster name: the cluster must share it.
            name=settings.Q_CLUSTER["name"],
            env=env,
            log=log,
        ) as cluster,
        queueing_to(cluster),
    ):
        _warm_trigger()
        triggered_at = timezone.now()
        started = time.monotonic()
        cycle = cycle_start(trigger="manual", sync=False)
        _wait_done(cycle.pk, cluster)
        wall = time.monotonic() - started
        startup = cluster.ready_after
    cycle.refresh_from_db()
    if cycle.status != CycleStatus.DONE:
        raise RuntimeError(f"cycle {cycle.pk} ended {cycle.status} on the cluster; see {log}")
    critical = critical_path_seconds(cycle)
    runs = list(AgentRun.objects.filter(cycle=cycle).select_related("agent"))
    return {
        "runs": len(runs),
        "llm_calls": AgentRun.objects.filter(cycle=cycle).aggregate(n=Sum("llm_calls"))["n"] or 0,
        "cluster_startup_seconds": round(startup, 3),
        "wall_seconds": round(wall, 3),
        "critical_path_seconds": round(critical, 3),
        "ratio": round(wall / critical, 3) if critical else None,
        "phases": _phases(runs, triggered_at, cycle.finished_at),
    }


def _phases(runs: list[Any], triggered_at: Any, finished_at: Any) -> dict[str, Any]:
    """Per phase: the wait from the previous phase's end (or the trigger) to its first start, and its span."""
    out: dict[str, Any] = {}
    previous_end = triggered_at
    for kind in PHASES:
        done = [r for r in runs if r.agent.kind == kind and r.started_at and r.finished_at]
        if not done:
            continue
        first = min(r.started_at for r in done)
        last = max(r.finished_at for r in done)
        out[kind] = {
            "runs": len(done),
            "handoff_seconds": round((first - previous_end).total_seconds(), 3),
            "span_seconds": round((last - first).total_seconds(), 3),
            "slowest_run_seconds": round(max((r.finished_at - r.started_at).total_seconds() for r in done), 3),
        }
        previous_end = last
    if finished_at:
        out["cycle_done_after_last_run_seconds"] = round((finished_at - previous_end).total_seconds(), 3)
    return out
