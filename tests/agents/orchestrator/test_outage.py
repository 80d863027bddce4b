"""Degrade, never go dark: an LLM outage, a 429 storm or a garbled answer while writing the
narrative still gives the day its briefing and its digest, as offline drafts, with the failure
recorded on the orchestrator's run."""

from __future__ import annotations

import pytest

from agents.models import Briefing, LLMCall
from agents.orchestrator.digest import digests_send
from agents.runtime.services import agent_run_start
from tests.agents.orchestrator.scenario import build_day

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mode", ["http500", "http429", "malformed"])
def test_a_failed_narrative_call_still_gives_the_briefing_and_the_digest(
    mode, openai_settings, settings, owner, growth_approver, mailoutbox
):
    openai_settings.mode = mode
    openai_settings.fail_first = 1000  # a storm: every attempt is refused
    day = build_day()

    run = agent_run_start(agent_key="orchestrator", trigger="manual", sync=True)

    assert run.status == "succeeded", run.error
    assert openai_settings.requests >= 1  # the call was really tried
    briefing = Briefing.objects.get(brand_date=day.today)
    assert briefing.drafted_by == "offline"
    assert "HP-104" in briefing.narrative
    failed = LLMCall.objects.get(run=run)
    assert not failed.ok and failed.error
    assert any("offline draft" in w and "morning briefing" in w for w in run.warnings)

    sent = digests_send(day=day.today)
    assert sent and all(s["sent"] for s in sent)
    assert mailoutbox and all("offline draft" in m.body for m in mailoutbox)


def test_a_working_endpoint_drafts_the_narrative(openai_settings, owner):
    day = build_day()
    run = agent_run_start(agent_key="orchestrator", trigger="manual", sync=True)
    assert run.status == "succeeded", run.error
    briefing = Briefing.objects.get(brand_date=day.today)
    assert briefing.drafted_by == "gpt-4o-mini"
    assert briefing.narrative == "Canned answer from the fake endpoint."
    assert run.warnings == []


def test_a_spent_budget_gives_the_offline_briefing_without_calling(openai_settings, settings, owner):
    settings.ATLAS_DAILY_TOKEN_BUDGET = 1
    day = build_day()
    run = agent_run_start(agent_key="orchestrator", trigger="manual", sync=True)
    assert run.status == "succeeded", run.error
    assert openai_settings.requests == 0
    assert Briefing.objects.get(brand_date=day.today).drafted_by == "offline"
    assert any("ATLAS_DAILY_TOKEN_BUDGET=1" in w for w in run.warnings)
