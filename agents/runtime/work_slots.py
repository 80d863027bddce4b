"""Work slots: how many runs of this process do their own work (Python, queries) at once.

The runs of a phase start together, a thread each, so that their LLM calls overlap. Their own
work does not overlap: one interpreter lock serialises it. Left alone, sixteen runs share that lock
evenly and all reach their first LLM call at about the same late moment, when the sum of all
their work is done. With a slot per core instead, runs work a few at a time, in priority order,
and each gives its slot up while it waits for an LLM answer: the run with the longest chain of
calls (the cycle's critical path) reaches its first call first, and the others' work fills its
waiting time. The phase then takes about its total work or its longest chain, not their sum.

A run coming back from an LLM call goes before runs that have not started: it is part of a
chain that is already under way.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Iterator

from django.conf import settings

# Two classes of waiters: a run resuming after an LLM answer, then runs starting, by priority.
RESUMING, STARTING = 0, 1


class WorkSlots:
    def __init__(self, size: int) -> None:
        self.size = size
        self._busy = 0
        self._waiting: list[tuple[int, float, int]] = []
        self._arrivals = itertools.count()
        self._changed = threading.Condition()
        self._local = threading.local()

    @property
    def held(self) -> bool:
        return getattr(self._local, "held", False)

    def acquire(self, priority: float = 0, *, resuming: bool = False) -> None:
        """Wait for a slot; lower `priority` first among runs starting, arrival order among equals."""
        ticket = (RESUMING if resuming else STARTING, priority, next(self._arrivals))
        with self._changed:
            heapq.heappush(self._waiting, ticket)
            while self._busy >= self.size or self._waiting[0] != ticket:
                self._changed.wait()
            heapq.heappop(self._waiting)
            self._busy += 1
            # The next in line may find a slot free too.
            self._changed.notify_all()
        self._local.held = True

    def release(self) -> None:
        self._local.held = False
        with self._changed:
            self._busy -= 1
            self._changed.notify_all()

    @contextlib.contextmanager
    def holding(self, priority: float = 0) -> Iterator[None]:
        """Hold a slot for a run's work (re-entrant: a run inside a run keeps its slot)."""
        if self.held:
            yield
            return
        self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Give the slot up while this thread waits on I/O (an LLM call), take it back after."""
        if not self.held:
            yield
            return
        self.release()
        try:
            yield
        finally:
            self.acquire(resuming=True)


_slots: WorkSlots | None = None
_slots_lock = threading.Lock()


def work_slots() -> WorkSlots:
    """This process's slots, sized by ATLAS_AGENT_WORK_SLOTS (re-made if the setting changes, in tests)."""
    global _slots
    size = settings.ATLAS_AGENT_WORK_SLOTS
    with _slots_lock:
        if _slots is None or _slots.size != size:
            _slots = WorkSlots(size)
        return _slots
