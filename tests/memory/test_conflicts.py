"""Conflicts: two authors disagreeing on one key while it is valid; resolution by a director or owner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from memory.errors import ConflictAlreadyResolved, InvalidMemory, NotPermitted
from memory.models import Conflict, MemoryEntry
from memory.selectors import current, open_conflict_keys
from memory.services import conflict_resolve, conflicts_resolve, remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db

KEY = "sku:HP-104:days_of_cover"


def inventory_says(value: int, **kwargs):
    return remember(
        key=KEY,
        text=f"HP-104 has {value} days of cover",
        data={"value": value},
        division="operations",
        author_run=run_of("operations.inventory", "operations"),
        **kwargs,
    )


def forecast_says(value: int, **kwargs):
    return remember(
        key=KEY,
        text=f"HP-104 will last {value} days",
        data={"value": value},
        division="operations",
        author_run=run_of("operations.forecast", "operations"),
        **kwargs,
    )


def test_two_agents_disagreeing_leave_one_current_entry_and_one_open_conflict():
    earlier = inventory_says(5)
    later = forecast_says(21)
    assert MemoryEntry.objects.filter(key=KEY, is_current=True).count() == 1
    entry = current(KEY)
    assert entry.pk == later.pk
    assert entry.in_conflict is True
    conflict = Conflict.objects.get()
    assert (conflict.key, conflict.earlier_id, conflict.later_id, conflict.is_open) == (KEY, earlier.pk, later.pk, True)
    assert open_conflict_keys([KEY, "sku:OTHER:stock", ""]) == {KEY}


def test_same_author_updating_is_no_conflict():
    inventory_says(5)
    inventory_says(4)
    assert not Conflict.objects.exists()
    assert current(KEY).in_conflict is False


def test_different_author_same_value_is_agreement_not_conflict():
    inventory_says(5)
    remember(
        key=KEY, text="Five days, confirmed", data={"value": 5}, author_run=run_of("operations.forecast", "operations")
    )
    assert not Conflict.objects.exists()


def test_text_is_compared_when_there_is_no_value(growth_director):
    remember(key="channel:tiktok:pacing", text="on track", author_run=run_of("growth.paid_media"))
    remember(key="channel:tiktok:pacing", text="overspending", author_user=growth_director)
    assert open_conflict_keys(["channel:tiktok:pacing"]) == {"channel:tiktok:pacing"}


def test_expired_entry_is_replaced_without_conflict():
    now = timezone.now()
    inventory_says(5, valid_from=now - dt.timedelta(days=3), valid_until=now - dt.timedelta(days=1))
    forecast_says(21)
    assert not Conflict.objects.exists()


def test_resolving_needs_a_director_or_owner_and_a_note(growth_director, owner):
    inventory_says(5)
    forecast_says(21)
    conflict = Conflict.objects.get()
    with pytest.raises(NotPermitted, match="growth_director"):
        conflict_resolve(conflict=conflict, user=growth_director, note="the forecast is right")
    with pytest.raises(InvalidMemory, match="note="):
        conflict_resolve(conflict=conflict, user=owner, note=" ")
    resolved = conflict_resolve(conflict=conflict, user=owner, note="Forecast includes the inbound PO")
    assert (resolved.is_open, resolved.resolved_by, resolved.resolution_note) == (
        False,
        owner,
        "Forecast includes the inbound PO",
    )
    assert resolved.resolved_at is not None
    assert current(KEY).in_conflict is False
    assert open_conflict_keys([KEY]) == set()
    last = resolved.history.order_by("-history_id").first()
    assert (last.is_open, last.history_user) == (False, owner)
    with pytest.raises(ConflictAlreadyResolved):
        conflict_resolve(conflict=conflict, user=owner, note="again")


def test_division_director_resolves_their_division(django_user_model):
    from divisions.models import Role
    from tests.factories import MembershipFactory, UserFactory, division

    ops_director = MembershipFactory(
        user=UserFactory(username="ops_director"), division=division("operations"), role=Role.DIRECTOR
    ).user
    inventory_says(5)
    forecast_says(21)
    inventory_says(6)  # a second disagreement on the same key: two open conflicts
    assert Conflict.objects.filter(is_open=True).count() == 2
    resolved, skipped = conflicts_resolve(
        conflicts=Conflict.objects.all(), user=ops_director, note="Inventory counts are authoritative"
    )
    assert (resolved, skipped) == (2, 0)
    assert not Conflict.objects.filter(is_open=True).exists()
