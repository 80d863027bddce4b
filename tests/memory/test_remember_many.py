"""remember_many(): a batch under remember's rules, all-or-nothing, in the order given."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas_project.audit import Actor, acting_as
from memory.errors import InvalidMemory
from memory.models import Conflict, MemoryEntry
from memory.selectors import current
from memory.services import remember, remember_many
from tests.memory.factories import run_of
from tests.memory.races import assert_one_chain, race

pytestmark = pytest.mark.django_db


def fact(key: str | None, value: float, run, **extra) -> dict:
    return {
        "key": key,
        "kind": "metric",
        "text": f"{key or 'note'} is {value}",
        "data": {"value": value},
        "author_run": run,
        **extra,
    }


def test_a_batch_is_written_in_order_with_history_by_the_acting_run():
    run = run_of("product.returns", "product")
    with acting_as(Actor.for_agent_run("product.returns", run.pk)):
        entries = remember_many(
            [fact("sku:A-1:refund_rate", 0.1, run), fact(None, 3, run), fact("sku:B-2:refund_rate", 0.2, run)]
        )
    assert [e.text for e in entries] == ["sku:A-1:refund_rate is 0.1", "note is 3", "sku:B-2:refund_rate is 0.2"]
    assert all(e.pk is not None and e.is_current for e in entries)
    assert current("sku:B-2:refund_rate").pk == entries[2].pk
    history = MemoryEntry.history.filter(id__in=[e.pk for e in entries])
    assert sorted(h.history_type for h in history) == ["+", "+", "+"]
    assert {h.history_actor for h in history} == {Actor.for_agent_run("product.returns", run.pk).label}


def test_a_second_batch_refreshes_what_is_unchanged_and_supersedes_what_changed():
    run = run_of("product.returns", "product")
    first = remember_many([fact("sku:A-1:refund_rate", 0.1, run), fact("sku:B-2:refund_rate", 0.2, run)])
    again = remember_many([fact("sku:A-1:refund_rate", 0.1, run), fact("sku:B-2:refund_rate", 0.3, run)])
    assert again[0].pk == first[0].pk  # a refresh writes nothing
    assert again[1].pk != first[1].pk
    assert again[1].supersedes_id == first[1].pk
    old = MemoryEntry.objects.get(pk=first[1].pk)
    assert old.is_current is False
    assert MemoryEntry.objects.filter(key="sku:A-1:refund_rate").count() == 1
    assert MemoryEntry.history.filter(id=first[1].pk, history_type="~", is_current=False).exists()


def test_another_author_with_another_value_opens_a_conflict():
    ours = run_of("product.returns", "product")
    theirs = run_of("sales.discounts", "sales")
    (earlier,) = remember_many([fact("sku:A-1:refund_rate", 0.1, ours)])
    (later,) = remember_many([fact("sku:A-1:refund_rate", 0.4, theirs)])
    conflict = Conflict.objects.get(key="sku:A-1:refund_rate")
    assert (conflict.earlier_id, conflict.later_id, conflict.is_open) == (earlier.pk, later.pk, True)


def test_a_bad_item_names_its_position_and_nothing_is_written():
    run = run_of("product.returns", "product")
    remember_many([fact("sku:A-1:refund_rate", 0.1, run)])
    before = (MemoryEntry.objects.count(), MemoryEntry.history.count())
    with pytest.raises(InvalidMemory, match=r"items\[1\]\.confidence=1\.5"):
        remember_many([fact("sku:A-1:refund_rate", 0.9, run), fact("sku:B-2:x", 1, run, confidence=1.5)])
    with pytest.raises(InvalidMemory, match=r"items\[2\]\.key='sku:A-1:refund_rate'.*items\[0\]"):
        remember_many([fact("sku:A-1:refund_rate", 0.9, run), fact(None, 1, run), fact("sku:A-1:refund_rate", 2, run)])
    with pytest.raises(InvalidMemory, match=r"items\[0\]"):
        remember_many([{"text": "x", "author_run": run, "colour": "red"}])
    with pytest.raises(InvalidMemory, match="items"):
        remember_many(fact("sku:A-1:refund_rate", 0.9, run))  # a dict, not a list of them
    assert (MemoryEntry.objects.count(), MemoryEntry.history.count()) == before
    assert current("sku:A-1:refund_rate").data == {"value": 0.1}


def test_an_empty_batch_writes_nothing():
    assert remember_many([]) == []
    assert MemoryEntry.objects.count() == 0


KEYS = ["sku:A-1:x", "sku:B-2:x", "sku:C-3:x"]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    rounds=st.lists(
        st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, 2), st.integers(0, 1)), max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_a_batch_leaves_memory_as_the_same_writes_one_by_one_would(rounds):
    """Each round written once with remember_many (keys prefixed `b`) and once with remember (`s`)."""
    MemoryEntry.objects.all().delete()
    runs = [run_of("product.returns", "product"), run_of("sales.discounts", "sales")]
    for round_ in rounds:
        batch = {key: (value, author) for key, value, author in round_}  # one value per key in a batch
        remember_many([fact(f"b{key}", value, runs[author]) for key, (value, author) in batch.items()])
        for key, (value, author) in batch.items():
            remember(**fact(f"s{key}", value, runs[author]))

    def state(prefix: str) -> list[tuple]:
        rows = MemoryEntry.objects.filter(key__startswith=prefix).order_by("pk")
        return [
            (
                e.key[1:],
                e.data["value"],
                e.author_label,
                e.is_current,
                e.supersedes.data["value"] if e.supersedes else None,
            )
            for e in rows
        ]

    assert state("b") == state("s")
    conflicts = Conflict.objects.order_by("pk")
    assert sorted(c.key[1:] for c in conflicts if c.key[0] == "b") == sorted(
        c.key[1:] for c in conflicts if c.key[0] == "s"
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_on_shared_keys_leave_one_current_entry_per_key():
    writers, rounds = 4, 3
    errors = race(
        writers=writers,
        rounds=rounds,
        write=lambda run, n, i: remember_many([fact(key, n * 100 + i, run) for key in KEYS]),
    )
    assert errors == []
    for key in KEYS:
        assert_one_chain(key, writers * rounds)
