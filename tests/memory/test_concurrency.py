"""Concurrent writers on one key, each thread on its own database connection.

The invariant: never two current entries for a key, and every write lands in one unbroken
supersede chain (none lost, none orphaned).
"""

from __future__ import annotations

import pytest
from django.db import connection

from memory import writes
from memory.services import remember
from tests.memory.races import assert_one_chain as assert_chain
from tests.memory.races import race as race_threads

KEY = "sku:HP-104:days_of_cover"


def race(*, writers: int, writes_each: int) -> list[BaseException]:
    """`writers` threads, released together, each writing the key `writes_each` times."""

    def write(run, n: int, i: int) -> None:
        remember(key=KEY, text=f"writer {n} says {i}", data={"value": n * 100 + i}, author_run=run)

    return race_threads(writers=writers, rounds=writes_each, write=write)


def assert_one_chain(total: int) -> None:
    assert_chain(KEY, total)


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
    monkeypatch.setattr(writes, "SERIALISE_KEY_WRITES", False)
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
