"""Customers' personal data (issue 15 §5): owners and the divisions that need it (retention, sales)
see it, by a permission; everyone else sees the brand's data without it, in every view."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from divisions.models import Role
from divisions.permissions import OWNERS_GROUP, PII_DIVISIONS, can_see_customer_pii
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    SegmentFactory,
    UserFactory,
    division,
)

pytestmark = pytest.mark.django_db

EMAIL = "ada.canary@example.com"
FIRST, LAST = "Adalind", "Quillfeather"


@pytest.fixture
def customer():
    return CustomerFactory(email=EMAIL, first_name=FIRST, last_name=LAST)


@pytest.fixture
def order(customer):
    return OrderFactory(name="#9001", customer=customer)


@pytest.fixture
def segment(customer):
    segment = SegmentFactory(key="vip", name="VIPs")
    segment.customers.add(customer)
    return segment


def member(slug: str, role: str = Role.VIEWER):
    return MembershipFactory(user=UserFactory(username=f"{slug}_{role}"), division=division(slug), role=role).user


def _shows_pii(response) -> bool:
    body = response.content.decode()
    return EMAIL in body or FIRST in body or LAST in body


def test_the_rule(owner, growth_director):
    assert {"retention", "sales"} == PII_DIVISIONS
    assert can_see_customer_pii(owner)
    assert can_see_customer_pii(member("retention"))
    assert can_see_customer_pii(member("sales", Role.APPROVER))
    assert not can_see_customer_pii(growth_director)
    assert not can_see_customer_pii(member("finance", Role.DIRECTOR))
    in_owners_group = UserFactory(username="co_owner")
    in_owners_group.groups.add(Group.objects.get(name=OWNERS_GROUP))
    assert can_see_customer_pii(in_owners_group)
    auditor = UserFactory(username="auditor")
    auditor.user_permissions.add(Permission.objects.get(codename="view_customer_pii"))
    assert can_see_customer_pii(auditor)
    assert not can_see_customer_pii(None)


def test_the_owners_group_holds_the_permission_from_the_migration():
    owners = Group.objects.get(name=OWNERS_GROUP)
    assert owners.permissions.filter(codename="view_customer_pii", content_type__app_label="brand").exists()


def test_the_demo_staff_group_does_not_carry_it():
    from brand.demo.people import staff_group_set

    group = staff_group_set()
    assert group.permissions.filter(codename="view_order").exists()
    assert not group.permissions.filter(codename="view_customer_pii").exists()


def test_a_customer_s_pages_are_closed_to_others(client, growth_director, customer, order):
    client.force_login(growth_director)
    urls = [
        reverse("admin:brand_customer_changelist"),
        reverse("admin:brand_customer_change", args=[customer.pk]),
        reverse("admin:brand_customer_history", args=[customer.pk]),
        reverse("admin:brand_customer_delete", args=[customer.pk]),
        reverse("admin:autocomplete") + f"?app_label=brand&model_name=order&field_name=customer&term={EMAIL[:6]}",
        reverse("admin:autocomplete") + "?app_label=brand&model_name=segment&field_name=customers&term=ada",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert not _shows_pii(response)
    index = client.get(reverse("atlas_records"))  # Django's index of models (the admin index is Today)
    assert reverse("admin:brand_customer_changelist").encode() not in index.content
    assert reverse("admin:brand_order_changelist").encode() in index.content


def test_orders_and_segments_without_the_customer_for_others(client, growth_director, order, segment):
    client.force_login(growth_director)
    for url in (
        reverse("admin:brand_order_changelist"),
        reverse("admin:brand_order_change", args=[order.pk]),
        reverse("admin:brand_order_history", args=[order.pk]),
        reverse("admin:brand_segment_changelist"),
        reverse("admin:brand_segment_change", args=[segment.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not _shows_pii(response), url
    # A segment's history takes the historical model's own permission, which a division member lacks.
    history = client.get(reverse("admin:brand_segment_history", args=[segment.pk]))
    assert history.status_code == 403 and not _shows_pii(history)
    assert b"#9001" in client.get(reverse("admin:brand_order_changelist")).content


def test_others_cannot_search_orders_by_e_mail(client, growth_director, order):
    client.force_login(growth_director)
    changelist = reverse("admin:brand_order_changelist")
    assert client.get(changelist, {"q": EMAIL}).context["cl"].result_count == 0
    assert client.get(changelist, {"q": "#9001"}).context["cl"].result_count == 1


@pytest.mark.parametrize("slug", sorted(PII_DIVISIONS))
def test_retention_and_sales_see_customers_search_them_and_pick_them(client, slug, order, segment):
    client.force_login(member(slug))
    assert _shows_pii(client.get(reverse("admin:brand_customer_changelist")))
    assert _shows_pii(client.get(reverse("admin:brand_customer_change", args=[order.customer_id])))
    assert _shows_pii(client.get(reverse("admin:brand_order_change", args=[order.pk])))
    assert _shows_pii(client.get(reverse("admin:brand_segment_change", args=[segment.pk])))
    assert client.get(reverse("admin:brand_order_changelist"), {"q": EMAIL}).context["cl"].result_count == 1


def test_the_owner_picks_a_customer_in_the_autocomplete(client, owner, order):
    client.force_login(owner)
    url = reverse("admin:autocomplete") + "?app_label=brand&model_name=order&field_name=customer&term=ada.canary"
    response = client.get(url)
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [EMAIL]
