"""People write too: owners and directors add preferences and facts; others get a clear refusal."""

from __future__ import annotations

import pytest

from memory.errors import InvalidMemory, NotPermitted
from memory.models import Kind, MemoryEntry
from memory.services import memory_add_by_person

pytestmark = pytest.mark.django_db


def test_director_adds_a_preference_for_their_division(growth_director):
    entry = memory_add_by_person(user=growth_director, text="No discounts above 20% this quarter", division="growth")
    assert (entry.kind, entry.author_user, entry.author_label, entry.division.slug) == (
        Kind.PREFERENCE,
        growth_director,
        "growth_director",
        "growth",
    )


def test_owner_adds_a_brand_wide_fact(owner):
    entry = memory_add_by_person(
        user=owner, kind=Kind.DECISION, key="brand:launch:date", text="Autumn launch moves to 3 October"
    )
    assert entry.division is None and entry.kind == Kind.DECISION


@pytest.mark.parametrize("persona", ["growth_viewer", "growth_approver", "finance_director", "outsider"])
def test_others_may_not_add_a_preference_for_growth(persona, request):
    user = request.getfixturevalue(persona)
    with pytest.raises(NotPermitted, match=f"user='{persona}' may not add a preference for division 'growth'"):
        memory_add_by_person(user=user, text="Discount everything", division="growth")
    assert not MemoryEntry.objects.exists()


def test_director_may_not_add_brand_wide(growth_director):
    with pytest.raises(NotPermitted, match="only owners"):
        memory_add_by_person(user=growth_director, text="Discount everything")


def test_inactive_director_may_not_add(growth_director):
    growth_director.is_active = False
    growth_director.save()
    with pytest.raises(NotPermitted):
        memory_add_by_person(user=growth_director, text="x", division="growth")


def test_bad_input_from_a_person_is_invalid_memory(growth_director):
    with pytest.raises(InvalidMemory, match="key="):
        memory_add_by_person(user=growth_director, text="x", division="growth", key="no key")
    assert not MemoryEntry.objects.exists()
