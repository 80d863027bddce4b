"""The full-text structures of migration 0002 exist and stay in step with the memory table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from memory import search
from memory.models import MemoryEntry
from memory.selectors import recall
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db


def test_the_search_structures_exist():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # A later migration that rebuilds memory_memoryentry on SQLite drops its triggers: this fails then.
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'memory_memoryentry'")
            assert {row[0] for row in cursor.fetchall()} == {
                "memory_memoryentry_fts_ai",
                "memory_memoryentry_fts_ad",
                "memory_memoryentry_fts_au",
            }
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'memory_memoryentry_fts'")
            assert cursor.fetchone()[0] == 1
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'memory_memoryentry' "
                "AND indexname = 'memory_memoryentry_search_gin'"
            )
            assert "gin (search_vector)" in cursor.fetchone()[0]


def test_index_follows_updates_and_deletes():
    entry = remember(text="Kettle reviews mention a loose lid", author_run=run_of("growth.reviews"))
    assert [e.pk for e in recall("loose lid")] == [entry.pk]
    MemoryEntry.objects.filter(pk=entry.pk).update(text="Kettle reviews praise the handle")
    assert recall("loose lid") == []
    assert [e.pk for e in recall("handle")] == [entry.pk]
    MemoryEntry.objects.filter(pk=entry.pk).delete()
    assert recall("handle") == []


def test_window_bounds_the_candidates():
    run = run_of("growth.reviews")
    MemoryEntry.objects.bulk_create(
        [
            MemoryEntry(kind="observation", text=f"lid note {i}", author_label="x", valid_from=timezone.now())
            for i in range(50)
        ]
    )
    remember(text="lid note newest", author_run=run)
    found = search.candidates("lid", division_id=None, kinds=None, window=10)
    assert len(found) == 10
    # The newest matches, not an arbitrary ten.
    assert max(c.id for c in found) == MemoryEntry.objects.latest("id").pk
