"""The openai provider over real HTTP against an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.models import LLMCall, RunStatus, RunTrigger
from agents.runtime.llm import LLMError
from agents.runtime.llm.openai_provider import OpenAIProvider
from agents.runtime.services import agent_run_start
from tests.agents.agents_for_tests import Note, Writer
from tests.agents.conftest import configure


def provider(fake, *, timeout: float = 2, retries: int = 1) -> OpenAIProvider:
    return OpenAIProvider(api_key="sk-test", base_url=fake.base_url, timeout=timeout, max_retries=retries)


def generate(p: OpenAIProvider, mode: str = "ok"):
    return p.generate(Note, system="You write notes.", prompt=f"Note [mode:{mode}]", model="gpt-4o-mini", purpose="t")


def test_a_schema_valid_answer_is_parsed_with_the_servers_usage(fake_openai):
    result = generate(provider(fake_openai))
    assert isinstance(result.parsed, Note)
    assert (result.tokens_in, result.tokens_out, result.model) == (120, 45, "gpt-4o-mini")
    # The request carried the schema as a json_schema response format.
    assert fake_openai.calls[0].model == "gpt-4o-mini"


def test_429_is_retried_and_then_succeeds(fake_openai):
    fake_openai.fail_first = 1
    result = generate(provider(fake_openai, retries=2), "http429")
    assert isinstance(result.parsed, Note)
    assert fake_openai.requests == 2


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("http500", "HTTP 500 from the LLM endpoint: upstream exploded (after 2 attempt(s))"),
        ("malformed", "malformed JSON"),
        ("offschema", "does not fit Note: headline: Field required"),
        ("refusal", "refused: I can't help with that."),
        ("length", "cut off at the length limit"),
    ],
)
def test_unusable_answers_raise_llm_error_with_the_reason(fake_openai, mode, message):
    with pytest.raises(LLMError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        generate(provider(fake_openai), mode)
    if mode != "http500":
        # The server billed the answer even though it was unusable: the usage travels with the error.
        assert (info.value.tokens_in, info.value.tokens_out) == (120, 45)


def test_a_hanging_server_times_out_within_the_calls_deadline(fake_openai):
    fake_openai.hang = 3
    with pytest.raises(LLMError, match="did not answer within") as info:
        generate(provider(fake_openai, timeout=0.5, retries=1), "timeout")
    assert fake_openai.requests in (1, 2)
    assert "attempt" in str(info.value) or "no time left" in str(info.value)


def test_a_run_records_tokens_and_cost_from_usage(agent_registry, openai_settings, settings):
    settings.ATLAS_LLM_PRICES = {"gpt-4o-mini": {"input": 0.15, "output": 0.60}}
    agent_registry(Writer)
    configure(Writer.key, calls=2)
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert (run.llm_calls, run.tokens_in, run.tokens_out) == (2, 240, 90)
    # 240 x 0.15 + 90 x 0.60 per million
    assert run.cost == Decimal("0.000090")
    calls = list(LLMCall.objects.filter(run=run))
    assert [(c.provider, c.model, c.ok, c.tokens_in, c.tokens_out) for c in calls] == [
        ("openai", "gpt-4o-mini", True, 120, 45)
    ] * 2
    assert calls[0].cost == Decimal("0.000045")
    assert run.memories_written.get().text == "Canned answer from the fake endpoint."


def test_a_broken_answer_fails_the_run_cleanly_and_records_the_call(agent_registry, openai_settings):
    agent_registry(Writer)
    configure(Writer.key, mode="refusal")
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.FAILED
    assert run.error == "LLM: gpt-4o-mini refused: I can't help with that."
    call = LLMCall.objects.get(run=run)
    assert (call.ok, call.tokens_in, call.error) == (False, 120, "gpt-4o-mini refused: I can't help with that.")
    assert run.tokens_in == 120
