"""`MemoryEntry.value`: the one reading of what an entry says, in memory and in every reader of it."""

from __future__ import annotations

import pytest

from memory.models import MemoryEntry
from memory.selectors import context_for
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("data", "text", "value", "has_value"),
    [
        ({"value": 12}, "twelve days", 12, True),
        ({"value": 0}, "none left", 0, True),  # a falsy value is still the value, not the text
        ({"value": None}, "unknown", None, True),  # a stated None is a statement, not a missing value
        ({"value": [1, 2]}, "two ids", [1, 2], True),
        ({"lead_time_days": 9}, "nine days to deliver", "nine days to deliver", False),
        ({}, "plain words", "plain words", False),
        (None, "no data at all", "no data at all", False),
        (["value"], "data that is not an object", "data that is not an object", False),
    ],
)
def test_value_is_the_data_value_when_stated_else_the_text(data, text, value, has_value):
    entry = MemoryEntry(kind="metric", text=text, data=data)
    assert entry.value == value
    assert entry.has_value is has_value


def test_a_rewrite_with_the_same_text_but_a_new_value_is_not_a_refresh():
    run = run_of("operations.inventory", "operations")
    first = remember(key="sku:HP-104:days_of_cover", text="cover", data={"value": 12}, author_run=run)
    second = remember(key="sku:HP-104:days_of_cover", text="cover", data={"value": 3}, author_run=run)
    assert second.pk != first.pk
    assert second.value == 3


def test_the_agents_context_shows_the_value_only_when_stated():
    run = run_of("operations.inventory", "operations")
    remember(key="sku:HP-104:days_of_cover", text="Twelve days of cover", data={"value": 12}, author_run=run)
    remember(key="sku:HP-105:note", text="Supplier is slow", author_run=run)
    text = context_for(run.agent, "", 2000)
    assert "Twelve days of cover" in text and "Supplier is slow" in text
    assert "(value=12)" in text
    assert text.count("value=") == 1
