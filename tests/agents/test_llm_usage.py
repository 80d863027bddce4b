"""LLM usage: reservations against the day's budgets, settlement, the call log and its pruning."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from agents.models import Agent, AgentKind, AgentRun, CallState, LLMCall, RunStatus, RunTrigger
from agents.runtime.llm import BudgetExceeded, LLMError, LLMResult, estimate_tokens, usage
from agents.runtime.services import agent_run_start
from brand.clock import brand_today
from tests.agents.agents_for_tests import Writer


def request_for(
    run: AgentRun, *, model: str = "gpt-4o-mini", prompt: str = "x" * 396, answer: int = 0
) -> usage.CallRequest:
    return usage.CallRequest(
        run=run,
        agent=run.agent,
        today=brand_today(),
        provider="openai",
        model=model,
        purpose="test",
        system="",
        prompt=prompt,
        max_output_tokens=answer,
    )


def a_run(key: str = "growth.usage_test", **agent_fields) -> AgentRun:
    agent, _ = Agent.objects.get_or_create(
        key=key, defaults={"kind": AgentKind.SPECIALIST, "name": key, **agent_fields}
    )
    return AgentRun.objects.create(agent=agent, status=RunStatus.RUNNING, started_at=timezone.now())


def test_sixteen_concurrent_reservations_never_overshoot_the_agents_budget(transactional_db):
    # Each reservation holds estimate_tokens("x" * 396) = 100 tokens; the budget fits exactly five.
    assert estimate_tokens("", "x" * 396) == 100
    runs = [a_run(daily_token_budget=500) for _ in range(16)]
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def reserve(run: AgentRun) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                usage.call_reserve(request=request_for(run), started=timezone.now())
                outcome = "reserved"
            except BudgetExceeded:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reserve, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(outcomes) == ["refused"] * 11 + ["reserved"] * 5
    assert LLMCall.objects.filter(state=CallState.RESERVED).count() == 5
    assert LLMCall.objects.filter(state=CallState.RELEASED, ok=False).count() == 11


def test_the_days_global_cost_budget_holds_under_concurrency_too(transactional_db, settings):
    settings.ATLAS_LLM_PRICES = {"gpt-4o-mini": {"input": 1000, "output": 0}}
    settings.ATLAS_DAILY_COST_BUDGET = Decimal("0.35")  # 100 tokens at $1000/M = $0.10 each: three fit
    runs = [a_run(key=f"growth.usage_{n}") for n in range(8)]
    barrier = threading.Barrier(8)
    reserved: list[int] = []

    def reserve(run: AgentRun) -> None:
        try:
            barrier.wait(timeout=30)
            with contextlib.suppress(BudgetExceeded):
                reserved.append(usage.call_reserve(request=request_for(run), started=timezone.now()).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reserve, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(reserved) == 3


def test_settling_replaces_the_estimate_with_the_real_usage(db):
    run = a_run()
    call = usage.call_reserve(request=request_for(run), started=timezone.now())
    assert (call.state, call.tokens_in, call.estimated_tokens) == (CallState.RESERVED, 100, 100)
    assert call.prompt == "x" * 396
    answer = LLMResult(parsed=None, tokens_in=30, tokens_out=7, latency_ms=12, model="gpt-4o-mini", text='{"a": 1}')
    call = usage.call_settle(call=call, result=answer)
    assert (call.state, call.ok, call.tokens_in, call.tokens_out, call.response) == (
        CallState.SETTLED,
        True,
        30,
        7,
        '{"a": 1}',
    )
    run.refresh_from_db()
    assert (run.llm_calls, run.tokens_in, run.tokens_out) == (1, 30, 7)


def test_a_failed_call_releases_its_reservation_but_keeps_what_was_billed(db):
    run = a_run(daily_token_budget=150)
    call = usage.call_reserve(request=request_for(run), started=timezone.now())
    with pytest.raises(BudgetExceeded):
        usage.call_reserve(request=request_for(run), started=timezone.now())
    usage.call_release(call=call, error=LLMError("garbled", tokens_in=20, tokens_out=5, response="{oops"))
    call.refresh_from_db()
    assert (call.state, call.ok, call.tokens_in, call.response) == (CallState.RELEASED, False, 20, "{oops")
    # The 100 reserved are free again: 25 billed + 100 fit in 150.
    usage.call_reserve(request=request_for(run), started=timezone.now())


def test_an_unpriced_model_is_refused_before_the_call(db):
    run = a_run()
    with pytest.raises(LLMError, match="'llama3' has no price in ATLAS_LLM_PRICES"):
        usage.call_reserve(request=request_for(run, model="llama3"), started=timezone.now())
    assert LLMCall.objects.get(run=run).ok is False


def test_every_call_keeps_its_prompt_and_answer(agent_registry, openai_settings):
    agent_registry(Writer)
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.SUCCEEDED, run.error
    call = LLMCall.objects.get(run=run)
    assert call.state == CallState.SETTLED
    assert "You are Test writer" in call.system_prompt
    assert "Write a note [mode:ok] number 0" in call.prompt and '"roas": 2.5' in call.prompt
    assert json.loads(call.response) == {
        "headline": "Canned answer from the fake endpoint.",
        "body": "Canned answer from the fake endpoint.",
    }


def test_a_malformed_answer_is_kept_on_the_failed_call(agent_registry, openai_settings):
    from tests.agents.conftest import configure

    agent_registry(Writer)
    configure(Writer.key, mode="malformed")
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.FAILED
    call = LLMCall.objects.get(run=run)
    assert (call.ok, call.state, call.response) == (False, CallState.RELEASED, '{"headline": "unterminated')


def old_call(days: int) -> LLMCall:
    call = LLMCall.objects.create(
        run=a_run(), provider="openai", model="m", prompt="p", system_prompt="s", response="r"
    )
    LLMCall.objects.filter(pk=call.pk).update(started_at=timezone.now() - dt.timedelta(days=days))
    return call


def test_prune_empties_the_texts_older_than_the_retention_and_keeps_the_rows(db, settings, capsys):
    settings.ATLAS_LLM_LOG_RETENTION_DAYS = 30
    old, recent = old_call(31), old_call(29)
    call_command("atlas_llm_prune", "--dry-run", "--json")
    assert json.loads(capsys.readouterr().out) == {"days": 30, "dry_run": True, "calls": 1}
    assert LLMCall.objects.get(pk=old.pk).prompt == "p"

    call_command("atlas_llm_prune")
    assert "1 LLM call" in capsys.readouterr().out
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.system_prompt, old.prompt, old.response) == ("", "", "")
    assert recent.prompt == "p"
    assert LLMCall.objects.count() == 2

    call_command("atlas_llm_prune", "--days", "7", "--json")
    assert json.loads(capsys.readouterr().out)["calls"] == 1


def test_prune_refuses_a_negative_day_count(db):
    with pytest.raises(CommandError, match="--days"):
        call_command("atlas_llm_prune", "--days", "-1")


def test_the_prune_schedule_is_registered_with_the_others(db):
    from agents.runtime.schedules import recurring

    assert recurring()["agents: prune LLM prompts"].func == "agents.runtime.llm.usage.llm_log_prune_task"
