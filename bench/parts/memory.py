"""Part `memory`: recall latency and prompt context size as the shared memory grows.

`seed` inserts many entries fast (bulk inserts; the search index is maintained by the database),
`measure` times recall and sizes the prompt context; `run` (atlas_bench) seeds 1,000 entries, then
the scale's count, analysing the tables after each seeding as the importer does (a planner without
statistics picks a scan: 465 ms instead of 7 ms at 1,000,000 entries on PostgreSQL, issue 16).
Also usable from `manage.py shell`: `from bench.parts import memory; memory.seed(1_000_000); memory.measure()`.

Goals (issue 3): recall p95 under 25 ms on PostgreSQL and under 50 ms on SQLite; the context of
the same call within 10% from 1,000 entries to the scale's count; queries per recall constant.
Seeded rows are marked with author_label "bench" so that `clear()` removes exactly them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from divisions.models import Division
from memory.models import MemoryEntry
from memory.selectors import context_for, recall

from ..harness import BenchContext, Figure, Goal, percentile, repeat
from ..memory_data import BENCH_AUTHOR, clear, seed

__all__ = ["BENCH_AUTHOR", "clear", "measure", "run", "seed"]

DEFAULT_QUERIES = (
    "roas weak campaign",
    "kettle stockout cover",
    "tiktok pacing budget",
    "supplier lead time delay",
    "email open rate falling",
    "refunds returns rising",
    "discount margin risk",
    "creative fatigue meta",
    "lapsed customers retention",
    "spring sale spend",
)


def measure(
    *, queries: Sequence[str] = DEFAULT_QUERIES, rounds: int = 5, limit: int = 10, budget_tokens: int = 1500
) -> dict[str, Any]:
    """Recall latency (p50/p95 over rounds x queries), queries per recall, and context size."""
    for query in queries[:3]:  # warm caches so the first query's planning is not the p95
        recall(query, limit=limit)
    timings: list[float] = []
    query_counts: set[int] = set()
    for _ in range(rounds):
        for query in queries:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                recall(query, limit=limit)
                timings.append((time.perf_counter() - started) * 1000)
            query_counts.add(len(captured.captured_queries))
    context_sizes = [len(text) for text in contexts(queries, budget_tokens)]
    return {
        "database": connection.vendor,
        "entries": MemoryEntry.objects.count(),
        "recalls": len(timings),
        "recall_p50_ms": round(statistics.median(timings), 2),
        "recall_p95_ms": round(percentile(timings, 95), 2),
        "queries_per_recall": sorted(query_counts),
        "context_budget_tokens": budget_tokens,
        "context_chars_mean": round(statistics.mean(context_sizes), 1),
        "context_chars_max": max(context_sizes),
    }


def contexts(queries: Sequence[str], budget_tokens: int) -> list[str]:
    """The memory context each query's call would see, for an agent of the first division."""
    agent = _Agent(Division.objects.order_by("pk").first())
    return [context_for(agent, query, budget_tokens) for query in queries]


class _Agent:
    """What context_for reads of an agent: its division."""

    def __init__(self, division: Division | None) -> None:
        self.division = division


def analyse() -> None:
    """Planner statistics after a bulk insert, as the importer refreshes them (see the module doc)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {connection.ops.quote_name(MemoryEntry._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


# --- the part ------------------------------------------------------------------------------------
KEYS = ("memory_recall_p95_ms", "context_tokens")
CONTEXT_BUDGET_TOKENS = 1500
BASELINE_ENTRIES = 1000


def _context_tokens() -> float:
    from agents.runtime.llm import estimate_tokens

    texts = contexts(DEFAULT_QUERIES, CONTEXT_BUDGET_TOKENS)
    return statistics.mean(estimate_tokens(text) for text in texts)


def _seed_to(ctx: BenchContext, count: int) -> None:
    started = time.perf_counter()
    have = MemoryEntry.objects.filter(author_label=BENCH_AUTHOR).count()
    step = max(10_000, count // 10)

    def progress(done: int) -> None:
        if done % step < 5000 or have + done == count:
            ctx.log(f"[memory] {have + done:,} entries")

    seed(count - have, progress=progress)
    analyse()
    ctx.log(f"[memory] seeded and analysed {count:,} entries in {time.perf_counter() - started:.1f} s")


def run(ctx: BenchContext, keys: frozenset[str]) -> list[Figure]:
    entries = ctx.scale.memory_entries
    figures: list[Figure] = []
    baseline: float | None = None
    if "context_tokens" in keys:
        _seed_to(ctx, min(BASELINE_ENTRIES, entries))
        baseline = _context_tokens()
        figures.append(
            Figure(
                "context_tokens",
                f"memory context of one call, {BASELINE_ENTRIES:,} entries",
                "tokens",
                [baseline],
                detail={"budget_tokens": CONTEXT_BUDGET_TOKENS, "queries": len(DEFAULT_QUERIES)},
            )
        )
    _seed_to(ctx, entries)
    if "context_tokens" in keys and baseline is not None:
        figures.append(
            Figure(
                "context_tokens",
                f"memory context of one call, {entries:,} entries",
                "tokens",
                [_context_tokens()],
                goal=Goal("<=", round(baseline * 1.10, 1), f"within 10% of {BASELINE_ENTRIES:,} entries"),
                detail={"budget_tokens": CONTEXT_BUDGET_TOKENS, "at_baseline": baseline},
            )
        )
    if "memory_recall_p95_ms" in keys:
        postgres = connection.vendor == "postgresql"
        details: list[dict[str, Any]] = []

        def p95() -> float:
            # Each sample is the p95 of 5 rounds over the ten queries (50 recalls).
            result = measure(rounds=5, budget_tokens=CONTEXT_BUDGET_TOKENS)
            details.append(result)
            return float(result["recall_p95_ms"])

        samples = repeat(ctx, p95)
        last = details[-1]
        figures.append(
            Figure(
                "memory_recall_p95_ms",
                f"recall, {entries:,} entries ({connection.vendor})",
                "ms",
                samples,
                goal=Goal("<", 25 if postgres else 50, f"p95 under {25 if postgres else 50} ms on {connection.vendor}"),
                detail={
                    "recall_p50_ms": [d["recall_p50_ms"] for d in details[-len(samples) :]],
                    "queries_per_recall": last["queries_per_recall"],
                    "recalls_per_sample": last["recalls"],
                },
            )
        )
    return figures
