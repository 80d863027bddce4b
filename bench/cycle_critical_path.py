"""Benchmark: one daily cycle against a slow OpenAI-compatible endpoint, wall time over its critical path.

    .venv/bin/python bench/cycle_critical_path.py --db /tmp/bench/atlas.sqlite3 [--latency 1.0] [--runs 1]
    .venv/bin/python bench/cycle_critical_path.py --cluster --db /tmp/qbench/atlas.sqlite3 --runs 3
    .venv/bin/python bench/cycle_critical_path.py --cluster --runs 3 \
        --database-url postgres://postgres@127.0.0.1:5432/atlas_qbench \
        --redis-url redis://127.0.0.1:6379/8

Build the database first (`DEBUG=true DATABASE_URL=sqlite:////tmp/bench/atlas.sqlite3 manage.py migrate`,
then `... atlas_demo --seed 1`). A fake OpenAI-compatible server (tests/agents/fake_openai.py) starts
on 127.0.0.1 in this process and answers every call after `--latency` seconds; the cycle runs in-process
(`sync`, a thread per run, ATLAS_AGENT_WORK_SLOTS of them working at once) with the real registry, after
the warm-up a qcluster worker does when it spawns (agents and LLM client imported). Prints one JSON object per
cycle: {runs, llm_calls, wall_seconds, critical_path_seconds, ratio, max_overlap}, then with `--runs` over 1 a
summary (median, min and max ratio). Every cycle runs on a fresh copy of the built database (a copied file next
to it, or a PostgreSQL database `<name>_run` made from `<name>` as a template). The critical path is the
longest chain of LLM calls (slowest specialist, then slowest director, then the orchestrator): a cycle
whose calls overlap takes about that long; one run sequentially about the sum of all calls.
Use `--database-url` instead of `--db` for PostgreSQL. `--offline` times the same cycle without LLM calls:
the agents' own work (analyses, memory writes), a floor under the wall time whatever the overlap.

`--cluster` runs the cycle through a real `manage.py qcluster` subprocess instead (`--workers`, default 2;
ORM broker, or Redis with `--redis-url`). Each run starts the cluster on its fresh copy, waits until it is up,
then times from the trigger (`cycle_start(sync=False)`, as `atlas_run`
without --sync) until the cycle is done; it triggers once every worker has logged its warm-up, as a cluster
started before the morning hour would be. The JSON adds the cluster's startup time and, phase by phase, how
long the first run waited after the previous phase ended (`handoff_seconds`: broker poll, task pickup) and
how long the phase took from its first start to its last finish (`span_seconds`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = ("specialist", "director", "orchestrator")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="SQLite file built with migrate + atlas_demo.")
    where.add_argument("--database-url", help="Any DATABASE_URL (e.g. postgres://...) built the same way.")
    parser.add_argument("--latency", type=float, default=1.0, help="Seconds the fake endpoint takes per answer.")
    parser.add_argument("--runs", type=int, default=1, help="Cycles to run one after the other.")
    parser.add_argument("--division", help="Only this division (default: every division).")
    parser.add_argument(
        "--offline", action="store_true", help="The offline provider instead: the cycle's own work, no LLM latency."
    )
    parser.add_argument("--cluster", action="store_true", help="Through a real qcluster subprocess (see above).")
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS of the cluster (--cluster).")
    parser.add_argument("--redis-url", default="", help="Redis broker for the cluster (default: the ORM broker).")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="An untimed cycle on the same cluster first (workers' imports, connections and caches warm; "
        "the timed cycle is then the day's second and finds the first one's memory).",
    )
    parser.add_argument("--log", default="", help="Where the cluster's output goes (default: next to the database).")
    args = parser.parse_args()
    if args.cluster and args.offline:
        parser.error("--cluster measures LLM overlap; use --offline without it.")

    from tests.agents.fake_openai import FakeOpenAI

    fake = FakeOpenAI(latency=args.latency).start()
    source_url = args.database_url or f"sqlite:///{Path(args.db).resolve()}"
    # Every cycle runs on a fresh copy of the built database (the day's first cycle each time, and the
    # built database stays as atlas_demo left it); this process and the cluster use the same copy.
    database_url = _run_database_url(source_url)
    # Settings read the environment once, at django.setup(): point the openai provider at the fake first.
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ["ATLAS_LLM_PROVIDER"] = "offline" if args.offline else "openai"
    os.environ["OPENAI_API_KEY"] = "sk-bench-not-a-real-key"
    os.environ["OPENAI_BASE_URL"] = fake.base_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas_project.settings")
    if args.cluster:
        # Both sides must agree on the broker: empty means the ORM broker in settings.
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["Q_WORKERS"] = str(args.workers)
        os.environ.setdefault("Q_CLUSTER_NAME", "atlas-qbench")
    _fresh_database(source_url, database_url)
    import django

    django.setup()
    from agents.runtime.bench import time_cycle

    results: list[dict[str, Any]] = []
    try:
        for number in range(args.runs):
            fake.calls.clear()
            if number:
                _fresh_database(source_url, database_url)
            if args.cluster:
                log = Path(args.log) if args.log else _log_path(source_url)
                result = _time_cycle_on_cluster(
                    division=args.division, log=log, redis_url=args.redis_url, warm=args.warm
                )
            else:
                result = time_cycle(division=args.division)
            result["max_overlap"] = fake.max_overlap()
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        fake.stop()
    if len(results) > 1:
        print(json.dumps(summary(results)), flush=True)
    return 0


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs' spread: one loaded moment on a small machine must not decide the verdict either way."""
    ratios = [r["ratio"] for r in results if r.get("ratio") is not None]
    walls = [r["wall_seconds"] for r in results]
    return {
        "summary": True,
        "runs": len(results),
        "wall_seconds_median": round(statistics.median(walls), 3),
        "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
        "ratio_min": min(ratios, default=None),
        "ratio_max": max(ratios, default=None),
    }


# --- the cluster mode ---------------------------------------------------------------------------
def _run_database_url(source_url: str) -> str:
    parts = urlsplit(source_url)
    if parts.scheme == "sqlite":
        path = Path(parts.path)
        return f"sqlite:///{path.with_name(path.stem + '-run' + path.suffix)}"
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_run"))


def _log_path(source_url: str) -> Path:
    parts = urlsplit(source_url)
    if parts.scheme == "sqlite":
        return Path(parts.path).with_name("qcluster.log")
    return Path("/tmp") / f"qcluster-{parts.path.strip('/')}.log"


def _fresh_database(source_url: str, run_url: str) -> None:
    """Every run starts from the state atlas_demo left: a copy of the file, or a database from a template."""
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()
    source, run = urlsplit(source_url), urlsplit(run_url)
    if source.scheme == "sqlite":
        # Fold the write-ahead log into the file so that one copy holds every row.
        with sqlite3.connect(source.path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("", "-wal", "-shm"):
            Path(run.path + suffix).unlink(missing_ok=True)
        shutil.copyfile(source.path, run.path)
        return
    import psycopg

    admin = urlunsplit(source._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{run.path.strip("/")}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{run.path.strip("/")}" TEMPLATE "{source.path.strip("/")}"')


def _start_cluster(log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """A real `manage.py qcluster` with this process's settings; returns it once its workers are warm."""
    env = {**os.environ, "LOG_LEVEL": "INFO"}
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    from agents.apps import WARM_MESSAGE

    warm = WARM_MESSAGE.encode()
    workers = int(os.environ["Q_WORKERS"])
    try:
        # Running, and every worker has loaded the agents and the LLM client (its post_spawn
        # warm-up), as a cluster started before the morning hour would have.
        while b" running." not in (out := log.read_bytes()) or out.count(warm) < workers:
            if proc.poll() is not None:
                raise RuntimeError(f"qcluster exited with {proc.returncode}; see {log}")
            if time.monotonic() - started > 120:
                raise RuntimeError(f"qcluster not running after 120 s; see {log}")
            time.sleep(0.05)
    except BaseException:
        _stop_cluster(proc)
        raise
    return proc, time.monotonic() - started


def _stop_cluster(proc: subprocess.Popen[bytes]) -> None:
    # The cluster and its workers share the session we gave it: stop that group, by its id.
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _flush_redis(redis_url: str) -> None:
    """Nothing left over from an earlier run (queued tasks, cluster stats) in the benchmark's Redis db."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def _wait_done(cycle: Any, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    from agents.models import Cycle, CycleStatus

    started = time.monotonic()
    while Cycle.objects.filter(pk=cycle.pk, status=CycleStatus.RUNNING).exists():
        if proc.poll() is not None:
            raise RuntimeError(f"qcluster died during cycle {cycle.pk}; see {log}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"cycle {cycle.pk} not done after {timeout} s; see {log}")
        time.sleep(0.02)


def _time_cycle_on_cluster(
    *, division: str | None, log: Path, redis_url: str, warm: bool = False, timeout: float = 600
) -> dict[str, Any]:
    from django.db.models import Sum
    from django.utils import timezone

    from agents.models import AgentRun
    from agents.runtime.bench import critical_path_seconds
    from agents.runtime.services import cycle_start

    if redis_url:
        _flush_redis(redis_url)
    proc, startup = _start_cluster(log)
    try:
        # The trigger's side warm too: in production it is the scheduled task inside a warm worker;
        # here a cold first cycle_start would time this process importing the agents and connecting.
        _warm_trigger()
        if warm:
            _wait_done(cycle_start(trigger="manual", division=division, sync=False), proc, log, timeout)
        triggered_at = timezone.now()
        started = time.monotonic()
        cycle = cycle_start(trigger="manual", division=division, sync=False)
        _wait_done(cycle, proc, log, timeout)
        wall = time.monotonic() - started
    finally:
        _stop_cluster(proc)
    cycle.refresh_from_db()
    critical = critical_path_seconds(cycle)
    runs = AgentRun.objects.filter(cycle=cycle).select_related("agent")
    return {
        "mode": "cluster",
        "broker": "redis" if redis_url else "orm",
        "database": _vendor(),
        "workers": int(os.environ["Q_WORKERS"]),
        "warm": warm,
        "cycle": cycle.pk,
        "status": cycle.status,
        "runs": runs.count(),
        "llm_calls": runs.aggregate(n=Sum("llm_calls"))["n"] or 0,
        "cluster_startup_seconds": round(startup, 3),
        "wall_seconds": round(wall, 3),
        "critical_path_seconds": round(critical, 3),
        "ratio": round(wall / critical, 3) if critical else None,
        "phases": _phases(list(runs), triggered_at, cycle.finished_at),
    }


def _warm_trigger() -> None:
    from django_q.brokers import get_broker

    from agents.models import Agent
    from agents.runtime import registry

    registry.warm_up()
    Agent.objects.exists()
    get_broker().ping()


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


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


if __name__ == "__main__":
    raise SystemExit(main())
