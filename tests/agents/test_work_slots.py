"""Work slots: how many runs work at once, in which order, and that an LLM wait gives the slot up.

No timing: each test waits until the threads are queued (a state, checked in a loop with a generous
deadline) and then asserts the order in which they got their slot.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.utils import timezone

from agents.models import AgentRun, RunStatus
from agents.runtime.services import longest_chains_first
from agents.runtime.work_slots import WorkSlots
from tests.memory.factories import run_of


def wait_until(condition: Callable[[], bool], what: str, deadline: float = 20) -> None:
    limit = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > limit:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.005)


def queued(slots: WorkSlots) -> int:
    with slots._changed:
        return len(slots._waiting)


def start(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_starting_runs_get_their_slot_by_priority_then_arrival():
    slots, order = WorkSlots(1), []
    slots.acquire()  # the main thread holds the only slot while the others queue

    def run(name: str, priority: int) -> Callable[[], None]:
        def work() -> None:
            with slots.holding(priority):
                order.append(name)

        return work

    threads = []
    for n, (name, priority) in enumerate([("third", 2), ("first", 0), ("second", 1), ("second-later", 1)]):
        threads.append(start(run(name, priority)))
        wait_until(lambda n=n: queued(slots) == n + 1, f"{name} to queue")
    slots.release()
    for thread in threads:
        thread.join(timeout=20)
    assert order == ["first", "second", "second-later", "third"]


def test_a_run_back_from_an_llm_call_goes_before_runs_not_started():
    slots, order = WorkSlots(1), []
    answered = threading.Event()

    def chain() -> None:
        with slots.holding(5):
            with slots.waiting():  # its LLM call
                answered.wait(timeout=20)
            order.append("chain resumes")

    def fresh(name: str) -> Callable[[], None]:
        def work() -> None:
            with slots.holding(0):
                order.append(name)

        return work

    slots.acquire()
    chained = start(chain)
    wait_until(lambda: queued(slots) == 1, "the chain to queue")
    slots.release()
    wait_until(lambda: queued(slots) == 0 and slots._busy == 0, "the chain to wait on I/O")
    slots.acquire()  # hold the slot again while a fresh run queues and the chain's answer comes back
    others = [start(fresh("fresh"))]
    wait_until(lambda: queued(slots) == 1, "the fresh run to queue")
    answered.set()
    wait_until(lambda: queued(slots) == 2, "the chain to queue again")
    slots.release()
    for thread in [chained, *others]:
        thread.join(timeout=20)
    assert order == ["chain resumes", "fresh"]


def test_waiting_gives_the_slot_to_another_run():
    slots, order = WorkSlots(1), []
    other_done = threading.Event()

    def waiter() -> None:
        with slots.holding():
            order.append("waiter works")
            with slots.waiting():
                # With the slot kept, the other run could never work and this would time out.
                assert other_done.wait(timeout=20)
            order.append("waiter resumes")

    def other() -> None:
        with slots.holding():
            order.append("other works")
        other_done.set()

    first = start(waiter)
    wait_until(lambda: order == ["waiter works"], "the waiter to work")
    second = start(other)
    first.join(timeout=30)
    second.join(timeout=30)
    assert order == ["waiter works", "other works", "waiter resumes"]


def test_no_more_runs_work_at_once_than_there_are_slots():
    slots, inside, most = WorkSlots(2), [0], [0]
    go = threading.Event()
    lock = threading.Lock()

    def work() -> None:
        with slots.holding():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            go.wait(timeout=20)
            with lock:
                inside[0] -= 1

    threads = [start(work) for _ in range(5)]
    wait_until(lambda: slots._busy == 2 and queued(slots) == 3, "two working and three queued")
    go.set()
    for thread in threads:
        thread.join(timeout=20)
    assert most[0] == 2
    assert slots._busy == 0


def test_holding_is_reentrant_within_a_run():
    slots = WorkSlots(1)
    with slots.holding(), slots.holding():  # a run inside a run keeps its slot instead of deadlocking
        assert slots.held
    assert not slots.held and slots._busy == 0


@pytest.mark.django_db
def test_runs_whose_agent_made_the_most_llm_calls_last_time_go_first():
    now = timezone.now()

    def finished(key: str, calls: int) -> None:
        run = run_of(key)
        at = now + dt.timedelta(seconds=AgentRun.objects.count())
        AgentRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, llm_calls=calls, finished_at=at)

    finished("growth.none", 0)
    finished("growth.two", 1)
    finished("growth.two", 2)  # the latest finished run counts, not the first
    finished("growth.one", 1)
    queued_runs = [run_of(key) for key in ("growth.new", "growth.none", "growth.one", "growth.two")]
    order = longest_chains_first([r.pk for r in queued_runs])
    assert [AgentRun.objects.get(pk=pk).agent.key for pk in order] == [
        "growth.two",
        "growth.one",
        "growth.new",  # never run: counts as none, keeps its place among the ties
        "growth.none",
    ]
