"""Memory entries in bulk for the benchmarks: `seed` inserts many entries fast (the search index is
maintained by the database), `clear` removes exactly them (marked with author_label "bench").
Used by the memory part and by the console part's year of work."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from divisions.models import Division
from memory.models import Kind, MemoryEntry

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
