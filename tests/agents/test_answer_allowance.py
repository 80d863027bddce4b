"""The answer's allowance: every call is made with a max_tokens that the budgets reserve before it.

Against the local OpenAI-compatible server, which honours max_tokens like a real one: sixteen
concurrent calls whose answers fill their allowance cannot take the day over its token or cost
budget, and an answer longer than its allowance is cut there and recorded as a partial answer.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db.models import Sum

from agents.models import AgentRun, CallState, CycleStatus, LLMCall, RunStatus, RunTrigger
from agents.runtime.llm import LLMError, OfflineProvider, answer_allowance, estimate_tokens
from agents.runtime.services import agent_run_start, cycle_start
from tests.agents.agents_for_tests import Note, Writer, writer_class

WRITERS = 16
ALLOWANCE = 4000


def test_a_call_is_made_with_its_agent_kinds_allowance_as_max_tokens(agent_registry, openai_settings, settings):
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = 300
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS_BY_KIND = {"orchestrator": 900}
    assert (answer_allowance("specialist"), answer_allowance("orchestrator")) == (300, 900)
    agent_registry(Writer)

    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert [c.max_tokens for c in openai_settings.calls] == [300]
    call = LLMCall.objects.get(run=run)
    assert (call.max_output_tokens, call.finish_reason, call.tokens_out) == (300, "stop", 45)
    # What was reserved: the prompt's estimate and the whole allowance.
    assert call.estimated_tokens == estimate_tokens(call.system_prompt, call.prompt) + 300


def _served_and_refused() -> tuple[list[LLMCall], list[LLMCall]]:
    calls = list(LLMCall.objects.order_by("pk"))
    assert not [c for c in calls if c.state == CallState.RESERVED], "a reservation was left behind"
    return [c for c in calls if c.state == CallState.SETTLED], [c for c in calls if c.state == CallState.RELEASED]


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_calls_cannot_overshoot_the_days_token_budget_answers_included(
    agent_registry_tx, openai_settings, settings
):
    budget = 3 * ALLOWANCE + 2000  # three calls' answers and prompts fit, a fourth does not
    settings.ATLAS_DAILY_TOKEN_BUDGET = budget
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = ALLOWANCE
    settings.ATLAS_LLM_TIMEOUT = 30
    # Every answer takes its whole allowance; the prompt is counted as a server counts it. The
    # latency keeps the calls in flight together, so each reservation sees the others unsettled.
    openai_settings.tokens_in, openai_settings.tokens_out, openai_settings.latency = None, ALLOWANCE, 1.0
    agent_registry_tx(*[writer_class(n) for n in range(WRITERS)])

    cycle = cycle_start(trigger="manual", division="growth", sync=True)

    assert cycle.status == CycleStatus.DONE
    served, refused = _served_and_refused()
    assert len(served) + len(refused) == WRITERS
    # Reserving the prompts alone would have let every call through: the answers are what overshot.
    assert sum(estimate_tokens(c.system_prompt, c.prompt) for c in served + refused) <= budget
    used = LLMCall.objects.aggregate(total=Sum("tokens_in") + Sum("tokens_out"))["total"]
    assert used <= budget
    assert 1 <= len(served) == len(openai_settings.calls) <= 3
    assert all(c.tokens_out == ALLOWANCE and c.finish_reason == "stop" for c in served)
    assert all("ATLAS_DAILY_TOKEN_BUDGET" in c.error for c in refused)
    failed = AgentRun.objects.filter(cycle=cycle, agent__key__contains="test_writer", status=RunStatus.FAILED)
    assert failed.count() == len(refused)


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_calls_cannot_overshoot_the_days_cost_budget_answers_included(
    agent_registry_tx, openai_settings, settings
):
    # Answers cost four times what prompts do, as with the real price lists.
    settings.ATLAS_LLM_PRICES = {"gpt-4o-mini": {"input": 100, "output": 400}}
    budget = Decimal("5")  # an answer of ALLOWANCE tokens costs $1.60: three calls fit, a fourth does not
    settings.ATLAS_DAILY_COST_BUDGET = budget
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = ALLOWANCE
    settings.ATLAS_LLM_TIMEOUT = 30
    openai_settings.tokens_in, openai_settings.tokens_out, openai_settings.latency = None, ALLOWANCE, 1.0
    agent_registry_tx(*[writer_class(n) for n in range(WRITERS)])

    cycle_start(trigger="manual", division="growth", sync=True)

    served, refused = _served_and_refused()
    assert len(served) + len(refused) == WRITERS
    prompts_only = sum(Decimal(100) * estimate_tokens(c.system_prompt, c.prompt) for c in served + refused)
    assert prompts_only / Decimal(1_000_000) <= budget
    assert sum(c.cost for c in served + refused) <= budget
    assert 1 <= len(served) == len(openai_settings.calls) <= 3
    assert all("ATLAS_DAILY_COST_BUDGET" in c.error for c in refused)


def test_a_long_answer_is_cut_at_max_tokens_and_recorded_as_a_partial_answer(agent_registry, openai_settings, settings):
    settings.ATLAS_LLM_MAX_OUTPUT_TOKENS = 100
    openai_settings.tokens_out = 5000  # what the model would say without a limit
    agent_registry(Writer)

    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)

    # A failed run with the reason, not a crash: the cut answer is an unusable answer.
    assert run.status == RunStatus.FAILED
    assert "cut off at the length limit (100 tokens out, max_tokens=100)" in run.error
    call = LLMCall.objects.get(run=run)
    assert (call.state, call.ok, call.finish_reason, call.tokens_out) == (CallState.RELEASED, False, "length", 100)
    assert call.response and call.response != "{}"
    with pytest.raises(json.JSONDecodeError):
        json.loads(call.response)  # the partial answer as it came, kept for the people auditing it
    run.refresh_from_db()
    assert run.tokens_out == 100  # what the cut answer was billed stays counted


def test_the_offline_provider_respects_max_tokens_too():
    long_note = Note(headline="h" * 2000, body="b")
    provider = OfflineProvider()
    ask = {"system": "", "prompt": "", "model": "offline", "purpose": "note"}
    assert provider.generate(Note, **ask, offline=lambda: long_note, max_tokens=1000).parsed == long_note
    with pytest.raises(LLMError, match="more than the call's max_tokens=100") as cut:
        provider.generate(Note, **ask, offline=lambda: long_note, max_tokens=100)
    assert cut.value.finish_reason == "length"


def test_the_settings_know_every_agent_kind():
    # The settings cannot import the models; the kinds they accept are the models' kinds.
    from agents.models import AgentKind
    from atlas_project.settings import AGENT_KINDS

    assert set(AGENT_KINDS) == set(AgentKind.values)
