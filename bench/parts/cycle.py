"""Part `cycle`: the daily cycle against a slow LLM endpoint, and its own work at 1x and at scale.

- `cycle_critical_path_ratio`: wall time over the critical path of LLM calls (the slowest
  specialist's calls, then the slowest director's, then the orchestrator's: a cycle whose calls
  overlap takes about that long, a sequential one the sum of all calls), every agent on, against a
  local OpenAI-compatible server (bench/fake_openai.py) answering each call after 1 s; in-process
  (`sync`, the runs' threads) and through a real qcluster, on the demo brand; in-process on the
  bigger brand too.
- `cycle_offline_s`: the cycle's own work (analyses, memory, proposals: the offline provider) on the
  demo brand (`atlas_demo`'s data); `cycle_offline_s_10x` the same on a brand `brand_factor` times
  its size (bench/bigger_brand.py), and the ratio of the two.

Every run starts from the same built database (a copy of it: the day's first cycle each time).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from django.test import override_settings

from .. import bigger_brand, databases
from ..fake_openai import FakeOpenAI
from ..harness import BenchContext, Figure, Goal, repeat

KEYS = ("cycle_critical_path_ratio", "cycle_offline_s", "cycle_offline_s_10x")
LATENCY_S = 1.0
CLUSTER_WORKERS = 2
FAKE_KEY = "sk-bench-not-a-real-key"


@contextmanager
def _on_a_copy(ctx: BenchContext) -> Iterator[str]:
    """The block works on a fresh copy of the part's database; yields the copy's URL."""
    url = databases.sibling_url(ctx.database_url, "run")
    databases.copy(ctx.database_url, url)
    try:
        with databases.connected_to(url):
            yield url
    finally:
        databases.drop(url)


def _offline_cycle(ctx: BenchContext, details: list[dict[str, Any]]) -> Callable[[], float]:
    from agents.runtime.bench import time_cycle

    def one() -> float:
        with _on_a_copy(ctx), override_settings(ATLAS_LLM_PROVIDER="offline"):
            result = time_cycle()
        details.append(result)
        return float(result["wall_seconds"])

    return one


def _in_process_ratio(ctx: BenchContext, fake: FakeOpenAI, details: list[dict[str, Any]]) -> Callable[[], float]:
    from agents.runtime.bench import time_cycle

    def one() -> float:
        fake.calls.clear()
        with (
            _on_a_copy(ctx),
            override_settings(ATLAS_LLM_PROVIDER="openai", OPENAI_API_KEY=FAKE_KEY, OPENAI_BASE_URL=fake.base_url),
        ):
            result = time_cycle()
        if not result["ratio"]:
            raise RuntimeError(f"the cycle made no LLM call: {result}")
        details.append({**result, "max_overlap": fake.max_overlap()})
        return float(result["ratio"])

    return one


def _cluster_ratio(ctx: BenchContext, fake: FakeOpenAI, details: list[dict[str, Any]]) -> Callable[[], float]:
    from ..cycle_cluster import time_cycle_on_cluster

    def one() -> float:
        fake.calls.clear()
        with _on_a_copy(ctx) as url:
            env = {"ATLAS_LLM_PROVIDER": "openai", "OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": fake.base_url}
            result = time_cycle_on_cluster(
                database_url=url,
                redis_url=ctx.redis_url,
                env=env,
                workers=CLUSTER_WORKERS,
                log=ctx.workdir / "qcluster.log",
            )
        if not result["ratio"]:
            raise RuntimeError(f"the cycle made no LLM call: {result}")
        details.append({**result, "max_overlap": fake.max_overlap()})
        return float(result["ratio"])

    return one


def _summary(details: list[dict[str, Any]], samples: list[float]) -> dict[str, Any]:
    measured = details[-len(samples) :]
    return {
        "runs": measured[-1].get("runs"),
        "llm_calls": measured[-1].get("llm_calls"),
        "wall_seconds": [d["wall_seconds"] for d in measured],
        "critical_path_seconds": [d.get("critical_path_seconds") for d in measured],
        "max_overlap": [d.get("max_overlap") for d in measured],
        **({"phases": measured[-1]["phases"]} if "phases" in measured[-1] else {}),
    }


def run(ctx: BenchContext, keys: frozenset[str]) -> list[Figure]:
    from brand.demo import build_demo

    figures: list[Figure] = []
    started = time.perf_counter()
    built = build_demo(seed=1, out_dir=ctx.workdir / "demo")
    demo_counts = built["counts"]
    ctx.log(f"[cycle] demo brand built in {time.perf_counter() - started:.1f} s: {demo_counts['orders']:,} orders")
    brand_1x = f"demo brand ({demo_counts['orders']:,} orders, {demo_counts['variants']} variants)"
    factor = ctx.scale.brand_factor
    offline_1x: list[float] = []
    fake = FakeOpenAI(latency=LATENCY_S).start()
    try:
        if "cycle_offline_s" in keys or "cycle_offline_s_10x" in keys:
            details: list[dict[str, Any]] = []
            offline_1x = repeat(ctx, _offline_cycle(ctx, details))
            ctx.log(f"[cycle] offline, 1x: {offline_1x}")
            figures.append(
                Figure(
                    "cycle_offline_s",
                    f"cycle's own work (offline provider), {brand_1x}",
                    "s",
                    offline_1x,
                    detail=_summary(details, offline_1x) | {"counts": demo_counts},
                )
            )
        if "cycle_critical_path_ratio" in keys:
            goal = Goal("<=", 1.10, "at most 1.10")
            # Every cluster run is a fresh cluster whose workers warm up before the trigger: no run to discard.
            cold_cluster = replace(ctx, scale=replace(ctx.scale, warmup=0))
            for mode, make, on in (
                ("in-process", _in_process_ratio, ctx),
                ("real qcluster, 2 workers", _cluster_ratio, cold_cluster),
            ):
                details = []
                samples = repeat(on, make(on, fake, details))
                ctx.log(f"[cycle] critical path ratio, {mode}: {samples}")
                figures.append(
                    Figure(
                        "cycle_critical_path_ratio",
                        f"{mode}, endpoint answering after {LATENCY_S:g} s, {brand_1x}",
                        "ratio",
                        samples,
                        goal=goal,
                        detail=_summary(details, samples) | {"broker": "redis" if ctx.redis_url else "orm"},
                    )
                )
        if "cycle_offline_s_10x" in keys:
            started = time.perf_counter()
            growth = bigger_brand.grow(factor=factor, workdir=ctx.workdir, log=ctx.log)
            after = growth["after"]
            brand_nx = f"brand x{factor} ({after['orders']:,} orders, {after['variants']:,} variants, " + (
                f"{after['campaigns']} campaigns)"
            )
            # The bigger brand's runs are the slowest of the benchmark: at most three measured.
            big = replace(ctx, scale=replace(ctx.scale, warmup=0, repeats=min(3, ctx.scale.repeats)))
            details = []
            offline_nx = repeat(big, _offline_cycle(big, details))
            ctx.log(f"[cycle] offline, x{factor}: {offline_nx}")
            figures.append(
                Figure(
                    "cycle_offline_s_10x",
                    f"cycle's own work (offline provider), {brand_nx}",
                    "s",
                    offline_nx,
                    detail=_summary(details, offline_nx)
                    | {"counts": after, "build_seconds": time.perf_counter() - started},
                )
            )
            baseline = statistics.median(offline_1x)
            figures.append(
                Figure(
                    "cycle_offline_s_10x",
                    f"brand x{factor}'s time over the demo brand's (its median)",
                    "ratio",
                    [s / baseline for s in offline_nx],
                    goal=Goal("<", 3.0, f"x{factor} data in under 3x the time"),
                    detail={"offline_1x_median_s": baseline},
                )
            )
            details = []
            samples = repeat(big, _in_process_ratio(big, fake, details))
            ctx.log(f"[cycle] critical path ratio, x{factor}: {samples}")
            figures.append(
                Figure(
                    "cycle_offline_s_10x",
                    f"critical path ratio, in-process, endpoint answering after {LATENCY_S:g} s, {brand_nx}",
                    "ratio",
                    samples,
                    goal=Goal("<=", 1.3, "at most 1.3"),
                    detail=_summary(details, samples),
                )
            )
    finally:
        fake.stop()
    return figures
