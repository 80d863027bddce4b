"""Memory benchmark helpers: seed many entries fast, then measure recall latency and prompt context size.

For `atlas_bench` (the benchmark issue) and for ad-hoc runs from `manage.py shell`:

    from memory import bench
    bench.seed(1_000_000)
    bench.measure()      # {"entries": ..., "recall_p50_ms": ..., "recall_p95_ms": ..., "queries_per_recall": ...}

Targets (issue 3): recall p95 under 25 ms at 1,000,000 entries on PostgreSQL and under 50 ms on
SQLite; context size flat within 10% from 1,000 to 1,000,000 entries; queries per recall constant.
Seeded rows are marked with author_label "bench" so that `clear()` removes exactly them.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from divisions.models import Division

from .models import Kind, MemoryEntry
from .selectors import context_for, recall

BENCH_AUTHOR = "bench"
_ENTITIES = ("sku", "campaign", "channel", "segment", "email", "supplier", "product", "customer")
_METRICS = (
    "roas",
    "spend",
    "cover",
    "stockout",
    "margin",
    "refunds",
    "returns",
    "open rate",
    "click rate",
    "conversion",
    "pacing",
    "fatigue",
    "lead time",
    "churn",
    "repeat rate",
    "basket size",
)
_WORD_TEXT = (
    "weekly daily spring summer autumn winter sale launch kettle board knife pan mug towel apron "
    "meta tiktok google email sms organic paid retention acquisition budget forecast inventory "
    "supplier shipment delay late early high low rising falling flat weak strong stable risk "
    "opportunity discount bundle premium loyal new lapsed vip creative audience lookalike"
)
_WORDS = tuple(_WORD_TEXT.split())
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


def seed(n: int, *, batch_size: int = 5000, seed_value: int = 7, progress: Callable[[int], None] | None = None) -> int:
    """Insert `n` entries with bulk inserts (the search index is maintained by the database).

    A quarter are keyed (unique keys, current); ages spread over a year; divisions round-robin.
    Returns the number inserted.
    """
    rng = random.Random(seed_value)
    divisions: list[Division | None] = [*Division.objects.all()] or [None]
    now = timezone.now()
    start = MemoryEntry.objects.filter(author_label=BENCH_AUTHOR).count()
    kinds = [Kind.OBSERVATION, Kind.OBSERVATION, Kind.METRIC, Kind.INSIGHT, Kind.OUTCOME, Kind.DECISION]
    written = 0
    while written < n:
        rows = []
        for i in range(start + written, start + min(n, written + batch_size)):
            entity = _ENTITIES[i % len(_ENTITIES)]
            metric = rng.choice(_METRICS)
            words = " ".join(rng.sample(_WORDS, 6))
            value = round(rng.uniform(0, 100), 1)
            rows.append(
                MemoryEntry(
                    kind=kinds[i % len(kinds)],
                    key=f"{entity}:b{i}:{metric.replace(' ', '_')}" if i % 4 == 0 else None,
                    subject=f"{entity} {metric}",
                    text=f"{metric.capitalize()} for {entity} {i} is {value}: {words}",
                    data={"value": value},
                    division=divisions[i % len(divisions)],
                    author_label=BENCH_AUTHOR,
                    valid_from=now - dt.timedelta(minutes=rng.randint(0, 525_600)),
                )
            )
        with transaction.atomic():
            MemoryEntry.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
        if progress is not None:
            progress(written)
    return written


def clear() -> int:
    """Delete the seeded entries (only those)."""
    deleted, _ = MemoryEntry.objects.filter(author_label=BENCH_AUTHOR).delete()
    return deleted


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


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
    division = Division.objects.order_by("pk").first()
    agent = SimpleNamespace(division=division)
    context_sizes = [len(context_for(agent, query, budget_tokens)) for query in queries]
    return {
        "database": connection.vendor,
        "entries": MemoryEntry.objects.count(),
        "recalls": len(timings),
        "recall_p50_ms": round(statistics.median(timings), 2),
        "recall_p95_ms": round(_percentile(timings, 95), 2),
        "queries_per_recall": sorted(query_counts),
        "context_budget_tokens": budget_tokens,
        "context_chars_mean": round(statistics.mean(context_sizes), 1),
        "context_chars_max": max(context_sizes),
    }
