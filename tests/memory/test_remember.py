"""remember(): validation, the supersede chain, history with authors, refreshes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from atlas_project.audit import Actor, acting_as
from memory.errors import InvalidMemory
from memory.models import Conflict, MemoryEntry
from memory.selectors import current, key_history
from memory.services import remember
from tests.factories import division
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db


def test_unkeyed_observation_is_written_with_agent_label():
    run = run_of("growth.paid_media")
    entry = remember(text="Meta CPMs up 12% week on week", author_run=run, division="growth")
    assert entry.pk is not None
    assert entry.author_label == "growth.paid_media"
    assert entry.division == division("growth")
    assert entry.is_current is True
    assert entry.kind == "observation"


def test_keyed_write_supersedes_and_history_lists_every_value_with_author(growth_director):
    run = run_of("operations.inventory", "operations")
    first = remember(
        key="sku:HP-104:days_of_cover", text="HP-104 has 9 days of cover", data={"value": 9}, author_run=run
    )
    second = remember(
        key="sku:HP-104:days_of_cover", text="HP-104 has 5 days of cover", data={"value": 5}, author_run=run
    )
    third = remember(
        key="sku:HP-104:days_of_cover",
        text="HP-104 has 30 days of cover",
        data={"value": 30},
        author_user=growth_director,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert [first.is_current, second.is_current, third.is_current] == [False, False, True]
    assert third.supersedes == second and second.supersedes == first
    assert current("sku:HP-104:days_of_cover").pk == third.pk
    history = list(key_history("sku:HP-104:days_of_cover"))
    assert [(e.data["value"], e.author_label) for e in history] == [
        (30, "growth_director"),
        (5, "operations.inventory"),
        (9, "operations.inventory"),
    ]
    assert MemoryEntry.objects.filter(key="sku:HP-104:days_of_cover", is_current=True).count() == 1


def test_superseding_writes_a_history_row_with_the_actor():
    run = run_of("operations.inventory", "operations")
    with acting_as(Actor.for_agent_run("operations.inventory", run.pk)):
        first = remember(key="sku:HP-104:stock", text="120 units", data={"value": 120}, author_run=run)
        remember(key="sku:HP-104:stock", text="80 units", data={"value": 80}, author_run=run)
    rows = list(first.history.order_by("history_id"))
    assert [(r.history_type, r.is_current) for r in rows] == [("+", True), ("~", False)]
    assert rows[-1].history_actor == f"agent:operations.inventory#{run.pk}"


def test_same_author_same_value_is_a_refresh_not_a_new_entry():
    run = run_of("operations.inventory", "operations")
    first = remember(key="sku:HP-104:stock", text="120 units", data={"value": 120}, author_run=run)
    again = remember(
        key="sku:HP-104:stock",
        text="120 units",
        data={"value": 120},
        author_run=run_of("operations.inventory", "operations"),
    )
    assert again.pk == first.pk
    assert MemoryEntry.objects.filter(key="sku:HP-104:stock").count() == 1


def test_same_author_new_confidence_is_a_new_entry_without_conflict():
    run = run_of("operations.inventory", "operations")
    remember(key="sku:HP-104:stock", text="120 units", data={"value": 120}, author_run=run)
    newer = remember(key="sku:HP-104:stock", text="120 units", data={"value": 120}, author_run=run, confidence=0.5)
    assert current("sku:HP-104:stock").pk == newer.pk
    assert MemoryEntry.objects.filter(key="sku:HP-104:stock").count() == 2
    assert not Conflict.objects.exists()


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("kind", {"kind": "rumour"}),
        ("key", {"key": "HP-104"}),
        ("key", {"key": "SKU:HP-104"}),
        ("key", {"key": "sku:HP 104"}),
        ("key", {"key": "sku::x"}),
        ("key", {"key": "sku:" + "x" * 300}),
        ("text", {"text": "   "}),
        ("data", {"data": ["not", "an", "object"]}),
        ("data", {"data": {"value": float("nan")}}),
        ("data", {"data": {"when": dt.date(2026, 1, 1)}}),
        ("division", {"division": "astrology"}),
        ("confidence", {"confidence": 1.5}),
        ("confidence", {"confidence": "high"}),
        ("evidence[0]", {"evidence": [{"pk": 3}]}),
        ("evidence", {"evidence": {"memory": 1}}),
        ("valid_from", {"valid_from": dt.datetime(2026, 1, 1)}),
        ("valid_until", {"valid_until": timezone.now() - dt.timedelta(days=400)}),
        ("author", {"author_run": None}),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(field, kwargs, growth_director):
    base = {"text": "a fact", "key": "sku:HP-104:stock", "author_user": growth_director}
    base.update(kwargs)
    if field == "author":
        base["author_user"] = None
    with pytest.raises(InvalidMemory) as excinfo:
        remember(**base)
    assert str(excinfo.value).startswith(f"{field}=")
    assert not MemoryEntry.objects.exists()


def test_both_authors_is_an_error(growth_director):
    with pytest.raises(InvalidMemory, match="exactly one"):
        remember(text="x", author_user=growth_director, author_run=run_of("growth.paid_media"))
    assert not MemoryEntry.objects.exists()


def test_bad_input_on_a_key_with_a_current_entry_keeps_it_current(growth_director):
    first = remember(key="sku:HP-104:stock", text="120 units", data={"value": 120}, author_user=growth_director)
    with pytest.raises(InvalidMemory):
        remember(key="sku:HP-104:stock", text="80", data={"value": 80}, author_user=growth_director, division="nope")
    assert current("sku:HP-104:stock").pk == first.pk
