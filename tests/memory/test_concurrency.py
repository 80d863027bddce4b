"""Concurrent writers on one key, each thread on its own database connection.

The invariant: never two current entries for a key, and every write lands in one unbroken
supersede chain (none lost, none orphaned).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from memory import services
from memory.models import MemoryEntry
from memory.services import remember
from tests.memory.factories import run_of

KEY = "sku:HP-104:days_of_cover"


def race(*, writers: int, writes_each: int) -> list[BaseException]:
    """`writers` threads, released together, each writing the key `writes_each` times."""
    runs = [run_of(f"operations.agent_{n}", "operations") for n in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(writes_each):
                remember(key=KEY, text=f"writer {n} says {i}", data={"value": n * 100 + i}, author_run=runs[n])
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def assert_one_chain(total: int) -> None:
    assert MemoryEntry.objects.filter(key=KEY).count() == total
    assert MemoryEntry.objects.filter(key=KEY, is_current=True).count() == 1
    # Walk back from the current entry: the chain must visit every entry exactly once.
    by_id = {e.pk: e for e in MemoryEntry.objects.filter(key=KEY)}
    entry = next(e for e in by_id.values() if e.is_current)
    seen = []
    while entry is not None:
        seen.append(entry.pk)
        entry = by_id.get(entry.supersedes_id) if entry.supersedes_id else None
    assert sorted(seen) == sorted(by_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_leave_one_current_entry():
    assert connection.vendor == "postgresql"
    errors = race(writers=8, writes_each=6)
    assert errors == []
    assert_one_chain(total=8 * 6)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_key_lock_the_constraint_and_retries_still_hold(monkeypatch):
    # One write each: a writer loses only when another's write commits, so 8 writers need at
    # most 7 retries: within MAX_WRITE_ATTEMPTS. Exercises both the unique-violation path (the
    # key's first entry) and the conditional-update path.
    monkeypatch.setattr(services, "SERIALISE_KEY_WRITES", False)
    errors = race(writers=8, writes_each=1)
    assert errors == []
    assert_one_chain(total=8)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_in_threads_leave_one_current_entry():
    # On SQLite the IMMEDIATE transactions queue the writers on the busy timeout; on PostgreSQL
    # the conditional update and the unique constraint decide the race.
    errors = race(writers=4, writes_each=4)
    assert errors == []
    assert_one_chain(total=4 * 4)
