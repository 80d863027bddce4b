"""The memory browser and the conflict list in the admin: scoping, filters, search, add, resolve."""

from __future__ import annotations

import pytest
from django.urls import reverse

from memory.models import Conflict, Kind, MemoryEntry
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:memory_memoryentry_changelist"


@pytest.fixture
def entries():
    paid = run_of("growth.paid_media")
    return {
        "growth": remember(text="Spring Sale ROAS is weak", division="growth", author_run=paid),
        "finance": remember(
            text="Cash runway is eleven months", division="finance", author_run=run_of("finance.cash", "finance")
        ),
        "brand": remember(text="Brand voice: warm and plain", author_run=paid),
        "old": remember(key="sku:HP-104:stock", text="120 units left", data={"value": 120}, author_run=paid),
        "new": remember(
            key="sku:HP-104:stock",
            text="80 units left",
            data={"value": 80},
            author_run=run_of("operations.inventory", "operations"),
        ),
    }


def listed(client, **params) -> set[int]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_owner_sees_all_and_staff_only_their_divisions(client, owner, growth_viewer, entries):
    client.force_login(owner)
    assert listed(client) == {e.pk for e in entries.values()}
    client.force_login(growth_viewer)
    visible = listed(client)
    assert entries["growth"].pk in visible and entries["brand"].pk in visible
    assert entries["finance"].pk not in visible


def test_filters_and_search(client, owner, entries):
    client.force_login(owner)
    assert listed(client, conflicted="yes") == {entries["old"].pk, entries["new"].pk}
    assert listed(client, state="superseded") == {entries["old"].pk}
    assert listed(client, key_type="sku") == {entries["old"].pk, entries["new"].pk}
    assert listed(client, key__exact="sku:HP-104:stock") == {entries["old"].pk, entries["new"].pk}
    assert listed(client, q="runway") == {entries["finance"].pk}
    assert listed(client, q="units") == {entries["old"].pk, entries["new"].pk}  # superseded values too
    assert listed(client, q="sku:HP") == {entries["old"].pk, entries["new"].pk}
    assert listed(client, kind__exact="observation") == {e.pk for e in entries.values()}


def test_entry_page_is_read_only_with_the_key_history(client, owner, entries):
    client.force_login(owner)
    url = reverse("admin:memory_memoryentry_change", args=[entries["new"].pk])
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "History of this key" in body and "operations.inventory" in body and "growth.paid_media" in body
    assert "120 units left" in body
    assert client.post(url, {"text": "changed"}).status_code == 403
    entries["new"].refresh_from_db()
    assert entries["new"].text == "80 units left"


def test_director_adds_a_preference_through_the_service(client, growth_director):
    client.force_login(growth_director)
    response = client.post(
        reverse("admin:memory_memoryentry_add"),
        {
            "kind": Kind.PREFERENCE,
            "division": str(_growth_pk()),
            "key": "policy:discount:max_pct",
            "subject": "",
            "text": "No discounts above 20% this quarter",
            "value": "20",
            "valid_until": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = MemoryEntry.objects.get()
    assert (entry.author_user, entry.author_label, entry.data, entry.kind) == (
        growth_director,
        "growth_director",
        {"value": 20},
        Kind.PREFERENCE,
    )
    assert entry.history.get().history_actor == "user:growth_director"


def test_add_form_rejects_bad_json_and_keys(client, growth_director):
    client.force_login(growth_director)
    response = client.post(
        reverse("admin:memory_memoryentry_add"),
        {"kind": "preference", "division": str(_growth_pk()), "key": "Bad Key", "text": "x", "value": "{oops"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "key" in errors and "value" in errors
    assert not MemoryEntry.objects.exists()


def test_viewer_and_approver_cannot_add(client, growth_viewer, growth_approver):
    for user in (growth_viewer, growth_approver):
        client.force_login(user)
        assert client.get(reverse("admin:memory_memoryentry_add")).status_code == 403


def test_resolve_action_asks_for_a_note_then_resolves(client, owner, entries):
    client.force_login(owner)
    conflict = Conflict.objects.get()
    url = reverse("admin:memory_conflict_changelist")
    assert client.get(url).status_code == 200
    page = client.post(url, {"action": "resolve_selected", "_selected_action": [conflict.pk]})
    assert page.status_code == 200 and "Resolution note" in page.content.decode()
    missing = client.post(url, {"action": "resolve_selected", "_selected_action": [conflict.pk], "confirm": "yes"})
    assert "Please write a note" in missing.content.decode()
    done = client.post(
        url,
        {"action": "resolve_selected", "_selected_action": [conflict.pk], "confirm": "yes", "note": "Counted today"},
        follow=True,
    )
    assert "Resolved 1 conflict." in done.content.decode()
    conflict.refresh_from_db()
    assert (conflict.is_open, conflict.resolved_by, conflict.resolution_note) == (False, owner, "Counted today")


def test_director_of_another_division_is_skipped(client, growth_director, entries):
    client.force_login(growth_director)
    conflict = Conflict.objects.get()  # on a brand-wide key (no division): owners only
    done = client.post(
        reverse("admin:memory_conflict_changelist"),
        {"action": "resolve_selected", "_selected_action": [conflict.pk], "confirm": "yes", "note": "mine"},
        follow=True,
    )
    assert "Skipped 1" in done.content.decode()
    conflict.refresh_from_db()
    assert conflict.is_open


def _growth_pk() -> int:
    from tests.factories import division

    return division("growth").pk


# --- conflicts are scoped by their entries' division (list, page and history) --------------------


@pytest.fixture
def finance_conflict():
    """A conflict between two finance agents on a finance key: the finance division's business."""
    remember(
        key="policy:finance:runway_months",
        text="Runway is eleven months",
        data={"value": 11},
        division="finance",
        author_run=run_of("finance.cash", "finance"),
    )
    remember(
        key="policy:finance:runway_months",
        text="Runway is nine months",
        data={"value": 9},
        division="finance",
        author_run=run_of("finance.budget_guard", "finance"),
    )
    return Conflict.objects.get(key="policy:finance:runway_months")


def _with_history_permission(user):
    """What a staff group grants (view on the historical models): the division scope must still hold."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_historicalconflict", "view_conflict"]))
    return user


def test_conflicts_of_another_division_are_out_of_reach(client, growth_viewer, finance_director, finance_conflict):
    brand_wide = remember(key="policy:brand:voice", text="warm", data={"value": "warm"}, author_run=run_of("a.one"))
    remember(key="policy:brand:voice", text="plain", data={"value": "plain"}, author_run=run_of("a.two"))
    brand_conflict = Conflict.objects.get(key=brand_wide.key)

    client.force_login(_with_history_permission(growth_viewer))
    changelist = client.get(reverse("admin:memory_conflict_changelist"))
    assert {c.pk for c in changelist.context["cl"].result_list} == {brand_conflict.pk}
    assert client.get(reverse("admin:memory_conflict_change", args=[finance_conflict.pk])).status_code in (302, 403)
    history = client.get(reverse("admin:memory_conflict_history", args=[finance_conflict.pk]))
    assert history.status_code in (403, 404)
    assert b"nine months" not in history.content
    version = finance_conflict.history.order_by("history_id").first()
    url = reverse("admin:memory_conflict_simple_history", args=[finance_conflict.pk, version.history_id])
    assert client.get(url).status_code in (403, 404)
    # Brand-wide conflicts stay open to every staff member, history included.
    assert client.get(reverse("admin:memory_conflict_history", args=[brand_conflict.pk])).status_code == 200

    client.force_login(_with_history_permission(finance_director))
    assert client.get(reverse("admin:memory_conflict_history", args=[finance_conflict.pk])).status_code == 200
    assert client.get(url).status_code == 200


def test_a_conflict_across_divisions_needs_both(client, growth_viewer):
    """The earlier value came from finance: a growth viewer does not see it through a later growth entry."""
    remember(
        key="sku:HP-200:margin",
        text="margin 30%",
        data={"value": 30},
        division="finance",
        author_run=run_of("finance.cash", "finance"),
    )
    remember(
        key="sku:HP-200:margin",
        text="margin 25%",
        data={"value": 25},
        division="growth",
        author_run=run_of("growth.paid_media"),
    )
    conflict = Conflict.objects.get(key="sku:HP-200:margin")
    client.force_login(_with_history_permission(growth_viewer))
    assert not client.get(reverse("admin:memory_conflict_changelist")).context["cl"].result_list
    assert client.get(reverse("admin:memory_conflict_history", args=[conflict.pk])).status_code in (403, 404)


def test_the_owner_sees_every_conflict_and_its_history(client, owner, finance_conflict):
    client.force_login(owner)
    assert client.get(reverse("admin:memory_conflict_change", args=[finance_conflict.pk])).status_code == 200
    assert client.get(reverse("admin:memory_conflict_history", args=[finance_conflict.pk])).status_code == 200
