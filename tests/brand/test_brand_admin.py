"""The brand's data in the admin: every model listed, owners edit, others read, big tables stay cheap."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atlas_project.admin import CheapPaginator
from brand import models as bm
from tests import factories as f

pytestmark = pytest.mark.django_db

BRAND_MODELS = [model for model in admin.site._registry if model._meta.app_label == "brand"]


@pytest.fixture
def brand_data(db):
    line = f.OrderLineFactory(position=1)  # explicit: the factory's sequence depends on earlier tests
    f.OrderLineFactory(order=line.order, position=2)
    campaign = f.AdCampaignFactory()
    f.AdMetricFactory(campaign=campaign)
    f.EmailCampaignFactory()
    po = f.PurchaseOrderFactory()
    bm.PurchaseOrderLine.objects.create(purchase_order=po, variant=line.variant, quantity=10, unit_cost=Decimal("5"))
    return {"order": line.order, "campaign": campaign, "po": po}


def test_every_brand_model_is_registered():
    from django.apps import apps

    models = {
        model for model in apps.get_app_config("brand").get_models() if not model.__name__.startswith("Historical")
    }
    assert models - set(BRAND_MODELS) == set()


@pytest.mark.parametrize("model", BRAND_MODELS, ids=lambda model: model.__name__)
def test_owner_opens_every_list_and_add_page(client, owner, brand_data, model):
    client.force_login(owner)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code == (403 if model in (bm.BrandProfile, bm.AppliedAction) else 200)


def test_change_pages_with_inlines_render(client, owner, brand_data):
    client.force_login(owner)
    for obj in (brand_data["order"], brand_data["campaign"], brand_data["po"], brand_data["order"].lines.first()):
        opts = obj._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200


def test_staff_without_ownership_read_but_cannot_change(client, growth_viewer, brand_data):
    client.force_login(growth_viewer)
    variant = bm.Variant.objects.first()
    url = reverse("admin:brand_variant_change", args=[variant.pk])

    assert client.get(reverse("admin:brand_order_changelist")).status_code == 200
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:brand_variant_add")).status_code == 403
    assert client.post(url, {"sku": "HACKED", "price": "1"}).status_code == 403
    variant.refresh_from_db()
    assert variant.sku != "HACKED"


def test_governed_fields_are_read_only_even_for_owners(client, owner, brand_data):
    campaign = brand_data["campaign"]
    client.force_login(owner)
    url = reverse("admin:brand_adcampaign_change", args=[campaign.pk])
    response = client.get(url)
    assert b'name="daily_budget"' not in response.content  # shown, not editable
    data = {
        "name": campaign.name,
        "channel": campaign.channel,
        "status": "paused",
        "daily_budget": "999.00",
        "ad_copy": "",
        "metrics-TOTAL_FORMS": "0",
        "metrics-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.daily_budget) == ("active", Decimal("100.00"))


def test_big_tables_are_listed_without_counting_the_whole_table(client, owner, brand_data):
    f.OrderFactory.create_batch(5)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:brand_order_changelist"))
    assert response.status_code == 200
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert counts == []  # the highest id stands in
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:brand_order_changelist"), {"financial_status__exact": "paid"})
    assert response.status_code == 200
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def test_cheap_paginator_caps_filtered_counts():
    f.CustomerFactory.create_batch(4)
    paginator = CheapPaginator(bm.Customer.objects.filter(email__contains="@").order_by("pk"), 2)
    paginator.cap = 3
    assert paginator.count == 3
    assert CheapPaginator(bm.Customer.objects.order_by("pk"), 2).count == bm.Customer.objects.latest("pk").pk
