"""Every run of a phase is in flight at once, in-process and inside one cluster task.

No timing here: the fake endpoint holds each call until `gather` calls are open at the same moment,
so a runner that serialised the calls (a small thread pool, one task per run, an LLM call waiting
on another's transaction) would never reach the count, and a bound that is not honoured would pass it.
"""

from __future__ import annotations

import pytest

from agents.models import AgentRun, Cycle, CycleStatus, RunStatus
from agents.runtime.context import open_transactions
from agents.runtime.services import _batches, cycle_start
from tests.agents.agents_for_tests import writer_class

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 12


def _statuses(cycle: Cycle) -> set[str]:
    return set(AgentRun.objects.filter(cycle=cycle).values_list("status", flat=True))


def test_every_specialist_call_is_in_flight_at_once(agent_registry_tx, openai_settings, settings):
    """More specialists than the old thread pool had threads: all their calls still overlap.

    With one work slot, too: a run gives its slot up while it waits for its answer, or the
    second run could not reach its call before the first one's answer.
    """
    settings.ATLAS_AGENT_WORK_SLOTS = 1
    settings.ATLAS_LLM_CONCURRENCY = 16
    settings.ATLAS_LLM_TIMEOUT = 30
    openai_settings.gather, openai_settings.hang = WRITERS, 20
    agent_registry_tx(*[writer_class(n) for n in range(WRITERS)])

    cycle = cycle_start(trigger="manual", division="growth", sync=True)

    assert cycle.status == CycleStatus.DONE
    assert _statuses(cycle) == {RunStatus.SUCCEEDED}
    assert len(openai_settings.calls) == WRITERS
    assert openai_settings.max_overlap() == WRITERS


def test_llm_concurrency_bounds_the_calls_in_flight_not_the_runs(agent_registry_tx, openai_settings, settings):
    """ATLAS_LLM_CONCURRENCY=4: exactly four calls at a time, and every run still gets its turn."""
    settings.ATLAS_LLM_CONCURRENCY = 4
    settings.ATLAS_LLM_TIMEOUT = 30
    openai_settings.gather, openai_settings.hang = 4, 20
    agent_registry_tx(*[writer_class(n) for n in range(10)])

    cycle = cycle_start(trigger="manual", division="growth", sync=True)

    assert _statuses(cycle) == {RunStatus.SUCCEEDED}
    assert len(openai_settings.calls) == 10
    assert openai_settings.max_overlap() == 4


def test_one_cluster_task_runs_its_share_of_the_phase_concurrently(
    agent_registry_tx, openai_settings, settings, monkeypatch
):
    """On the cluster a phase is one task per worker, each running its runs in threads (not a task per run)."""
    from django_q.conf import Conf

    # django-q2's sync mode runs each task in this process, one after the other, as a worker would.
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    settings.ATLAS_LLM_CONCURRENCY = 16
    settings.ATLAS_LLM_TIMEOUT = 30
    openai_settings.gather, openai_settings.hang = WRITERS // 2, 20
    agent_registry_tx(*[writer_class(n) for n in range(WRITERS)])

    cycle = cycle_start(trigger="manual", division="growth")
    cycle.refresh_from_db()

    assert cycle.status == CycleStatus.DONE
    assert _statuses(cycle) == {RunStatus.SUCCEEDED}
    assert len(openai_settings.calls) == WRITERS
    # Two tasks of six: each task had its six calls open at once.
    assert openai_settings.max_overlap() == WRITERS // 2


def test_batches_deal_the_runs_to_the_workers():
    assert _batches([1, 2, 3, 4, 5], 2) == [[1, 3, 5], [2, 4]]
    assert _batches([1], 4) == [[1]]
    assert _batches([1, 2, 3], 0) == [[1, 2, 3]]


def test_open_transactions_sees_an_atomic_block_of_ours():
    from django.db import transaction

    assert open_transactions() == []
    with transaction.atomic():
        assert open_transactions() == ["default"]
