"""context_for(): people's rules first, then current facts, then recall; flat size as memory grows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from memory.models import Kind, MemoryEntry
from memory.selectors import context_for
from memory.services import memory_add_by_person, remember
from tests.factories import division
from tests.memory.factories import AgentFactory, run_of

pytestmark = pytest.mark.django_db


def bulk_entries(n: int, *, start: int = 0) -> None:
    """Seed many entries cheaply (bulk insert; the FTS triggers / generated column still apply)."""
    growth = division("growth")
    now = timezone.now()
    MemoryEntry.objects.bulk_create(
        [
            MemoryEntry(
                kind=Kind.OBSERVATION if i % 3 else Kind.METRIC,
                key=f"campaign:{i}:roas_7d" if i % 2 else None,
                text=f"Campaign {i} spend and ROAS for the week, creative fatigue {i % 7}",
                data={"value": i % 5},
                division=growth,
                author_label="growth.paid_media",
                valid_from=now - dt.timedelta(minutes=i),
            )
            for i in range(start, start + n)
        ],
        batch_size=1000,
    )


def test_preferences_from_people_come_first(growth_director):
    agent = AgentFactory(key="growth.paid_media", division=division("growth"))
    remember(key="campaign:1:roas_7d", text="ROAS is 3.1", data={"value": 3.1}, author_run=run_of("growth.paid_media"))
    rule = memory_add_by_person(
        user=growth_director, text="No discounts above 20% this quarter", key="policy:discount:max", division="growth"
    )
    text = context_for(agent, "discount on kettles", 400)
    lines = text.splitlines()
    assert lines[0].startswith("## Rules from people")
    assert rule.text in lines[1]
    assert "campaign:1:roas_7d" in text


def test_other_divisions_facts_are_left_out_but_recall_crosses_divisions():
    agent = SimpleNamespace(division=division("growth"))
    remember(
        key="sku:HP-104:days_of_cover",
        text="HP-104 kettle runs out in 5 days",
        division="operations",
        author_run=run_of("operations.inventory", "operations"),
    )
    assert "HP-104" not in context_for(agent, "", 500)
    assert "HP-104" in context_for(agent, "scale ads kettle HP-104", 500)


def test_conflicted_facts_are_marked():
    agent = SimpleNamespace(division=division("growth"))
    remember(key="campaign:1:roas_7d", text="ROAS 3.1", data={"value": 3.1}, author_run=run_of("growth.paid_media"))
    remember(key="campaign:1:roas_7d", text="ROAS 1.2", data={"value": 1.2}, author_run=run_of("growth.attribution"))
    assert "IN CONFLICT" in context_for(agent, "", 500)


def test_budget_is_respected_and_size_is_flat_as_memory_grows():
    agent = SimpleNamespace(division=division("growth"))
    budget = 300
    bulk_entries(1_000)
    small = context_for(agent, "creative fatigue ROAS", budget)
    bulk_entries(19_000, start=1_000)
    large = context_for(agent, "creative fatigue ROAS", budget)
    assert len(small) <= budget * 4 and len(large) <= budget * 4
    assert abs(len(large) - len(small)) <= 0.1 * len(small)
    assert "## Recalled" in large or "## Current facts" in large


def test_zero_budget_is_empty():
    assert context_for(SimpleNamespace(division=None), "anything", 0) == ""
