"""Reservations of calls whose worker died mid-call are released once the call's longest life passed.

The worker is real: a subprocess that reserves a call, makes it against the local server (which
holds it), and is SIGKILLed while the call is out. Run on SQLite and in CI's PostgreSQL pass.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from agents.apps import ABANDONED_CALLS_SCHEDULE
from agents.models import AgentRun, CallState, LLMCall
from agents.runtime.llm import BudgetExceeded, usage
from agents.runtime.schedules import recurring
from agents.runtime.services import cycle_start
from tests.agents.test_llm_usage import a_run
from tests.agents.test_llm_usage import request_for as usage_request

ROOT = Path(__file__).resolve().parents[2]


def request_for(run: AgentRun) -> usage.CallRequest:
    """A call of 100 prompt tokens and a 1,000-token answer allowance."""
    return usage_request(run, answer=1000)


def reserved_at(run: AgentRun, at: dt.datetime) -> LLMCall:
    call = usage.call_reserve(request=request_for(run), started=timezone.now())
    LLMCall.objects.filter(pk=call.pk).update(started_at=at)
    return call


def test_the_longest_life_is_every_attempt_at_its_timeout_plus_the_margin(settings):
    settings.ATLAS_LLM_TIMEOUT, settings.ATLAS_LLM_MAX_RETRIES, settings.ATLAS_LLM_RESERVATION_MARGIN = 60, 2, 120
    assert usage.call_longest_life() == dt.timedelta(seconds=300)


def test_an_orphaned_reservation_is_released_recorded_and_frees_the_budget(db, caplog):
    run = a_run(daily_token_budget=2500)  # two reservations of 1,100 fit, a third does not
    now = timezone.now()
    life = usage.call_longest_life()
    orphan = reserved_at(run, now - life - dt.timedelta(seconds=1))
    young = reserved_at(run, now - life + dt.timedelta(seconds=30))  # may still be answered
    with pytest.raises(BudgetExceeded):
        usage.call_reserve(request=request_for(run), started=now)

    with caplog.at_level(logging.WARNING, logger="agents.runtime.llm.usage"):
        assert usage.calls_abandon_orphans(now=now) == [orphan.pk]

    orphan.refresh_from_db()
    assert (orphan.state, orphan.ok, orphan.tokens_in, orphan.tokens_out) == (CallState.ABANDONED, False, 0, 0)
    assert "never settled" in orphan.error and "killed or lost" in orphan.error
    assert f"LLM call {orphan.pk} of run {run.pk} abandoned" in caplog.text
    assert LLMCall.objects.get(pk=young.pk).state == CallState.RESERVED
    usage.call_reserve(request=request_for(run), started=now)  # the orphan's share is free again
    assert usage.calls_abandon_orphans(now=now) == []  # and it is released once only


def test_a_call_settling_as_it_is_abandoned_keeps_its_real_usage(db):
    # The conditional update: only a row still reserved is abandoned.
    run = a_run()
    call = reserved_at(run, timezone.now() - usage.call_longest_life() - dt.timedelta(seconds=5))
    LLMCall.objects.filter(pk=call.pk).update(state=CallState.SETTLED, tokens_in=90, tokens_out=10)
    assert usage.calls_abandon_orphans() == []
    assert LLMCall.objects.get(pk=call.pk).tokens_in == 90


def test_each_cycle_starts_by_releasing_the_orphans(db):
    run = a_run()
    orphan = reserved_at(run, timezone.now() - usage.call_longest_life() - dt.timedelta(minutes=1))
    cycle_start(trigger="manual", agent_key="growth.director", sync=True)
    assert LLMCall.objects.get(pk=orphan.pk).state == CallState.ABANDONED


def test_the_release_is_a_registered_schedule(db):
    assert recurring()[ABANDONED_CALLS_SCHEDULE].func == "agents.runtime.llm.usage.calls_abandon_orphans_task"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_call_leaves_a_reservation_that_is_released(fake_openai, settings):
    fake_openai.hang = 120  # the call never answers while the worker lives
    run = a_run(daily_token_budget=2000)  # the killed call's ~1,100 leave no room for another
    worker = ["-m", "tests.agents.reserve_and_hang", connection.settings_dict["NAME"], str(run.pk)]
    child = subprocess.Popen(
        [sys.executable, *worker, fake_openai.base_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("reserved "), line + (child.stderr.read() if child.stderr else "")
        call_id = int(line.split()[1])
        deadline = time.monotonic() + 30
        while fake_openai.requests < 1 and time.monotonic() < deadline:  # the call is out
            time.sleep(0.05)
        assert fake_openai.requests == 1
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    call = LLMCall.objects.get(pk=call_id)
    assert (call.run_id, call.state, call.max_output_tokens) == (run.pk, CallState.RESERVED, 1000)
    with pytest.raises(BudgetExceeded):  # the dead worker's call still holds the agent's day
        usage.call_reserve(request=request_for(run), started=timezone.now())
    assert usage.calls_abandon_orphans() == []  # not before its longest life has passed

    later = call.started_at + usage.call_longest_life() + dt.timedelta(seconds=1)
    assert usage.calls_abandon_orphans(now=later) == [call_id]
    assert LLMCall.objects.get(pk=call_id).state == CallState.ABANDONED
    usage.call_reserve(request=request_for(run), started=timezone.now())
