"""The shared admin pieces: the read-only mixin on every audit table and the cheap paginator."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.sites import site
from django.test import RequestFactory

from agents.models import AgentRun, Briefing, Cycle, Intent
from approvals.models import Decision, Execution, LinkUse, ProposedAction
from atlas_project.admin import CheapPaginator, ReadOnlyAdminMixin
from brand import models as bm
from memory.models import Conflict, MemoryEntry
from tests import factories as f

pytestmark = pytest.mark.django_db

# What happened stays as it happened: no form in the console adds, edits or deletes these rows.
AUDIT_MODELS = (
    bm.AppliedAction,
    AgentRun,
    Cycle,
    Briefing,
    Intent,
    Decision,
    Execution,
    LinkUse,
    ProposedAction,
    Conflict,
)


@pytest.fixture
def owner_request(owner):
    request = RequestFactory().get("/admin/")
    request.user = owner
    return request


@pytest.mark.parametrize("model", AUDIT_MODELS, ids=lambda m: m._meta.label)
def test_audit_tables_are_read_only_even_for_the_owner(model, owner_request):
    model_admin = site._registry[model]
    assert isinstance(model_admin, ReadOnlyAdminMixin)
    assert model_admin.has_add_permission(owner_request) is False
    assert model_admin.has_change_permission(owner_request) is False
    assert model_admin.has_delete_permission(owner_request) is False


def test_memory_entries_are_never_edited_but_a_director_may_add_one(owner_request):
    model_admin = site._registry[MemoryEntry]
    assert model_admin.has_change_permission(owner_request) is False
    assert model_admin.has_delete_permission(owner_request) is False
    assert model_admin.has_add_permission(owner_request) is True  # its own rule wins over the mixin


def test_inlines_take_the_mixin_with_the_parent_object(owner_request):
    inlines = [
        inline(site._registry[ProposedAction].model, site)
        for inline in site._registry[ProposedAction].inlines
        if issubclass(inline, ReadOnlyAdminMixin)
    ]
    assert inlines
    for inline in inlines:
        assert isinstance(inline, admin.options.InlineModelAdmin)
        assert inline.has_add_permission(owner_request, None) is False
        assert inline.has_change_permission(owner_request, None) is False


def test_no_admin_keeps_a_private_read_only_copy(owner_request):
    """An admin that refuses add, change and delete even to the owner is read-only: it says so with
    the one mixin. (An admin that overrides the three to gate them by a permission is not a copy.)"""
    copies = [
        type(model_admin).__qualname__
        for model_admin in site._registry.values()
        if not isinstance(model_admin, ReadOnlyAdminMixin)
        and all(
            name in vars(type(model_admin))
            for name in ("has_add_permission", "has_change_permission", "has_delete_permission")
        )
        and not model_admin.has_change_permission(owner_request)
        and not model_admin.has_delete_permission(owner_request)
    ]
    assert copies == []


def test_unfiltered_count_is_the_highest_id_without_a_count_query(django_assert_num_queries):
    customers = f.CustomerFactory.create_batch(3)
    customers[0].delete()  # a hole in the ids: the count stands for the highest id, not the rows
    paginator = CheapPaginator(bm.Customer.objects.order_by("pk"), 2)
    with django_assert_num_queries(1):
        assert paginator.count == customers[-1].pk
    assert paginator.num_pages == (customers[-1].pk + 1) // 2


def test_an_empty_table_counts_zero():
    assert CheapPaginator(bm.Customer.objects.order_by("pk"), 2).count == 0


def test_filtered_count_stops_at_the_cap():
    f.CustomerFactory.create_batch(5)
    paginator = CheapPaginator(bm.Customer.objects.filter(email__contains="@").order_by("pk"), 2)
    paginator.cap = 3
    assert paginator.count == 3
    assert paginator.num_pages == 2
    under_cap = CheapPaginator(bm.Customer.objects.filter(email__contains="@").order_by("pk"), 2)
    assert under_cap.count == 5


def test_a_list_is_counted_as_it_is():
    assert CheapPaginator(list(range(7)), 3).count == 7
