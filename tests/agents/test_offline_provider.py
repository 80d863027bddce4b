"""The offline provider: deterministic, no network, labelled as an offline draft."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from agents.runtime.llm import LLMError, OfflineProvider, drafted_by_label
from tests.agents.agents_for_tests import Note


def test_same_facts_same_answer_and_no_tokens():
    provider = OfflineProvider()

    def build() -> Note:
        return Note(headline="ROAS 2.5", body="Spend $300.")

    a = provider.generate(Note, system="s", prompt="p", model="gpt-4o-mini", purpose="x", offline=build)
    b = provider.generate(Note, system="s", prompt="p", model="gpt-4o-mini", purpose="x", offline=build)
    assert a == b
    assert (a.tokens_in, a.tokens_out, a.model) == (0, 0, "offline")
    assert a.parsed == Note(headline="ROAS 2.5", body="Spend $300.")


def test_an_offline_template_that_drifted_from_its_schema_is_an_llm_error():
    class Other(BaseModel):
        title: str

    with pytest.raises(LLMError, match="does not fit its schema"):
        OfflineProvider().generate(
            Note, system="", prompt="", model="m", purpose="x", offline=lambda: Other(title="wrong")
        )


def test_offline_text_is_labelled_for_people():
    assert drafted_by_label("offline") == "offline draft"
    assert drafted_by_label("") == "offline draft"
    assert drafted_by_label("gpt-4o-mini") == "drafted by gpt-4o-mini"
