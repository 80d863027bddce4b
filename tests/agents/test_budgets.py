"""Budgets: a call that would exceed the agent's or the day's tokens or cost is never made."""

from __future__ import annotations

from decimal import Decimal

from agents.models import AgentRun, LLMCall, RunStatus, RunTrigger
from agents.runtime.services import agent_run_start
from tests.agents.agents_for_tests import SecondWriter, Writer
from tests.agents.conftest import configure


def test_the_agents_token_budget_stops_the_run_before_the_call(agent_registry, openai_settings, settings):
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = 45  # the fake's answers take 45 tokens: they fit their allowance
    agent_registry(Writer)
    agent = configure(Writer.key, calls=3)
    # One call's usage (165) fits; the estimate for a second call does not.
    agent.daily_token_budget = 200
    agent.save()
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.FAILED
    assert "would exceed its daily token budget" in run.error
    assert openai_settings.requests == 1
    calls = list(LLMCall.objects.filter(run=run).order_by("pk"))
    assert [c.ok for c in calls] == [True, False]
    assert "daily token budget" in calls[1].error


def test_the_agents_cost_budget_counts_earlier_runs_today(agent_registry, openai_settings, settings):
    settings.ATLAS_LLM_PRICES = {"gpt-4o-mini": {"input": 1000, "output": 1000}}
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = 45
    agent_registry(Writer)
    agent = configure(Writer.key)
    agent.daily_cost_budget = Decimal("0.2")
    agent.save()
    first = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert first.status == RunStatus.SUCCEEDED and first.cost == Decimal("0.165")
    second = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert second.status == RunStatus.FAILED
    assert "daily cost budget" in second.error
    assert openai_settings.requests == 1


def test_the_days_global_token_budget_covers_all_agents(agent_registry, openai_settings, settings):
    settings.ATLAS_DAILY_TOKEN_BUDGET = 200
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = 45
    agent_registry(Writer, SecondWriter)
    assert agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True).status == RunStatus.SUCCEEDED
    other = agent_run_start(agent_key=SecondWriter.key, trigger=RunTrigger.MANUAL, sync=True)
    assert other.status == RunStatus.FAILED
    assert "ATLAS_DAILY_TOKEN_BUDGET=200" in other.error
    assert AgentRun.objects.get(pk=other.pk).tokens_in == 0


def test_the_offline_provider_spends_no_budget(agent_registry, settings):
    settings.ATLAS_DAILY_TOKEN_BUDGET = 1
    agent_registry(Writer)
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.SUCCEEDED
