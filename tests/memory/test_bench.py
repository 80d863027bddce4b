"""memory.bench: seeding and measuring work (the numbers themselves belong to the benchmark run)."""

from __future__ import annotations

import pytest

from bench.parts import memory as bench
from memory.models import MemoryEntry
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db


def test_seed_measure_and_clear():
    kept = remember(text="a real observation about kettles", author_run=run_of("growth.paid_media"))
    progress: list[int] = []
    assert bench.seed(1200, batch_size=500, progress=progress.append) == 1200
    assert progress == [500, 1000, 1200]
    assert MemoryEntry.objects.filter(author_label="bench", key__isnull=False).count() == 300
    result = bench.measure(rounds=1, budget_tokens=300)
    assert result["entries"] == 1201
    assert result["recalls"] == len(bench.DEFAULT_QUERIES)
    assert result["queries_per_recall"] == [2]
    assert 0 < result["context_chars_max"] <= 300 * 4
    assert result["recall_p95_ms"] >= result["recall_p50_ms"] > 0
    assert bench.recall("kettle stockout", limit=5)  # seeded text is searchable
    assert bench.clear() == 1200
    assert list(MemoryEntry.objects.all()) == [kept]
