"""Helpers for the concurrent-writer tests: threads released together, and the supersede-chain check."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

from agents.models import AgentRun
from memory.models import MemoryEntry
from tests.memory.factories import run_of


def race(*, writers: int, rounds: int, write: Callable[[AgentRun, int, int], object]) -> list[BaseException]:
    """`writers` threads, released together, each calling `write(its_run, writer, round)` `rounds` times."""
    runs = [run_of(f"operations.agent_{n}", "operations") for n in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(rounds):
                write(runs[n], n, i)
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


def assert_one_chain(key: str, total: int) -> None:
    """`total` entries for the key, one current, and one unbroken supersede chain through all of them."""
    assert MemoryEntry.objects.filter(key=key).count() == total
    assert MemoryEntry.objects.filter(key=key, is_current=True).count() == 1
    # Walk back from the current entry: the chain must visit every entry exactly once.
    by_id = {e.pk: e for e in MemoryEntry.objects.filter(key=key)}
    entry = next(e for e in by_id.values() if e.is_current)
    seen = []
    while entry is not None:
        seen.append(entry.pk)
        entry = by_id.get(entry.supersedes_id) if entry.supersedes_id else None
    assert sorted(seen) == sorted(by_id)
