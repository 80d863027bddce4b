"""`history_write`: the one history writer after a conditional update (or a bulk insert)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from atlas_project.audit import SYSTEM, Actor, acting_as, history_write
from brand import models as bm
from tests import factories as f

pytestmark = pytest.mark.django_db


def _move(supplier: bm.Supplier, lead_time_days: int) -> int:
    """A race-safe move: only if the row still holds what we read."""
    return bm.Supplier.objects.filter(pk=supplier.pk, lead_time_days=supplier.lead_time_days).update(
        lead_time_days=lead_time_days
    )


def test_the_row_holds_what_the_update_stored_with_the_acting_actor(owner):
    supplier = f.SupplierFactory(lead_time_days=14)
    assert _move(supplier, 21) == 1
    with acting_as(Actor.for_user(owner)):
        history_write([supplier], reason="lead time from the supplier's e-mail")
    row = supplier.history.latest("history_id")
    assert (row.history_type, row.lead_time_days) == ("~", 21)  # reloaded, not the caller's stale 14
    assert supplier.lead_time_days == 21
    assert row.history_change_reason == "lead time from the supplier's e-mail"
    assert (row.history_actor, row.history_user) == ("user:owner", owner)


def test_an_agent_or_no_actor_is_named_like_a_save_would_name_it():
    supplier = f.SupplierFactory()
    _move(supplier, 30)
    history_write([supplier])
    assert supplier.history.latest("history_id").history_actor == SYSTEM.label
    with acting_as(Actor.for_agent_run("operations.inventory", 7)):
        _move(supplier, 31)
        history_write([supplier], reason="x")
        supplier.name = "Renamed"
        supplier.save()  # the receiver path, for comparison
    rows = list(supplier.history.order_by("-history_id")[:2])
    assert {r.history_actor for r in rows} == {"agent:operations.inventory#7"}
    assert all(r.history_user is None for r in rows)


def test_a_long_reason_is_cut_not_refused():
    supplier = f.SupplierFactory()
    _move(supplier, 9)
    history_write([supplier], reason="r" * 250)
    assert supplier.history.latest("history_id").history_change_reason == "r" * 100


def test_bulk_created_rows_get_creation_history_without_reloading(django_assert_num_queries):
    suppliers = bm.Supplier.objects.bulk_create([bm.Supplier(name="A"), bm.Supplier(name="B")])
    with django_assert_num_queries(1):  # one insert of history rows, no reloads
        history_write(suppliers, created=True)
    assert sorted(bm.Supplier.history.filter(history_type="+").values_list("name", flat=True)) == ["A", "B"]


def test_refresh_false_records_the_instances_as_the_caller_mirrored_them(django_assert_num_queries):
    supplier = f.SupplierFactory(lead_time_days=14)
    _move(supplier, 40)
    supplier.lead_time_days = 40
    with django_assert_num_queries(1):
        history_write([supplier], refresh=False)
    assert supplier.history.latest("history_id").lead_time_days == 40


def test_nothing_to_write_touches_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        history_write([])


def test_rows_can_share_one_date():
    at = timezone.now() - dt.timedelta(hours=3)
    suppliers = bm.Supplier.objects.bulk_create([bm.Supplier(name="C"), bm.Supplier(name="D")])
    with acting_as(Actor(label="import:suppliers")):
        history_write(suppliers, created=True, at=at)
    rows = bm.Supplier.history.filter(name__in=["C", "D"])
    assert {(r.history_date, r.history_actor) for r in rows} == {(at, "import:suppliers")}
