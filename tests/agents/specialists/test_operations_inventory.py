"""operations.inventory: a best-seller running out before its lead time gets a draft PO and its ads paused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.specialists.growth import PaidMedia
from agents.specialists.operations import Inventory
from brand import models as bm
from brand.metrics.operations import inventory_analysis
from memory.services import current
from tests.agents.specialists.gro_brand import (
    TODAY,
    add_metrics,
    add_more_history,
    add_orders,
    build_control_brand,
    count_queries,
    run_agent,
)
from tests.factories import AdCampaignFactory, ProductFactory, SupplierFactory, VariantFactory

pytestmark = pytest.mark.django_db


def plant_skillet(brand) -> tuple[bm.Variant, bm.AdCampaign]:
    """HP-104: 140 units in 28 days (5 a day), 30 in stock (6 days), 21-day lead time, a live strong campaign."""
    skillet = VariantFactory(
        product=ProductFactory(handle="cast-iron-skillet-10in", title="Cast Iron Skillet 10in"),
        sku="HP-104",
        price=Decimal("45.00"),
        cost=Decimal("18.00"),
        stock=30,
        supplier=SupplierFactory(name="Ironworks Foundry", lead_time_days=21),
    )
    add_orders(brand, [(None, brand.days_ago(1 + n % 28), skillet, 1) for n in range(140)])
    campaign = AdCampaignFactory(name="Hearth Pot - Always On", daily_budget=Decimal("190.00"))
    campaign.skus.set([skillet])
    add_metrics(campaign, range(1, 29), brand.today, spend=Decimal("188.00"), revenue=Decimal("900.00"))
    return skillet, campaign


def test_control_brand_has_stock():
    build_control_brand()
    assert inventory_analysis(TODAY, Inventory.defaults).at_risk == []
    _run, proposals = run_agent(Inventory.key)
    assert proposals == []
    # Cover of the SKUs live campaigns push is written for paid media to read.
    entry = current("sku:ST-000:days_of_cover")
    assert entry.data["runs_out_before_delivery"] is False and entry.data["lead_time_days"] == 14


def test_finds_the_skillet_with_its_numbers():
    brand = build_control_brand()
    plant_skillet(brand)
    (skillet,) = inventory_analysis(TODAY, Inventory.defaults).at_risk
    assert skillet.sku == "HP-104" and skillet.units_28d == 140
    assert skillet.days_of_cover == 6.0 and skillet.lead_time_days == 21
    assert skillet.runs_out_before_delivery


def test_drafts_a_po_pauses_the_campaign_and_tells_paid_media():
    brand = build_control_brand()
    _skillet, campaign = plant_skillet(brand)
    _run, proposals = run_agent(Inventory.key)
    by_type = {p.action_type: p for p in proposals}
    assert set(by_type) == {"po.create", "ads.pause_campaign"}
    pause, po = by_type["ads.pause_campaign"], by_type["po.create"]
    assert pause.args == {"campaign_id": campaign.pk}
    assert po.args["supplier"] == "Ironworks Foundry"
    # (21 + 30 days) x 5 a day - 30 in stock.
    assert po.args["lines"] == [{"sku": "HP-104", "quantity": 225, "unit_cost": "18.00"}]
    assert (
        "HP-104 Cast Iron Skillet 10in has 6.0 days of cover" in pause.rationale and "lead time 21 days" in po.rationale
    )
    entry = current("sku:HP-104:days_of_cover")
    assert entry.data == {
        "value": 6.0,
        "lead_time_days": 21,
        "runs_out_before_delivery": True,
        "stock": 30,
        "units_28d": 140,
        "days_to_delivery": 21,
    }
    # Paid media, running after, reads it and does not scale the campaign (ROAS 4.8, budget-capped).
    weak = AdCampaignFactory(name="Weak One", daily_budget=Decimal("100.00"))
    add_metrics(
        weak,
        range(1, 29),
        brand.today,
        spend=Decimal("100.00"),
        revenue=lambda n: Decimal("50.00") if n <= 7 else Decimal("300.00"),
    )
    _run, moves = run_agent(PaidMedia.key)
    assert [p.args["campaign_id"] for p in moves] == [weak.pk]


def test_a_confirmed_po_arriving_in_time_clears_the_risk():
    brand = build_control_brand()
    skillet, _ = plant_skillet(brand)
    po = bm.PurchaseOrder.objects.create(
        number="PO-IN-TIME", supplier=skillet.supplier, status=bm.POStatus.CONFIRMED, expected_at=TODAY.replace(day=24)
    )
    bm.PurchaseOrderLine.objects.create(purchase_order=po, variant=skillet, quantity=300, unit_cost=Decimal("18"))
    assert inventory_analysis(TODAY, Inventory.defaults).at_risk == []


def test_constant_queries():
    brand = build_control_brand()
    plant_skillet(brand)
    small = count_queries(lambda: inventory_analysis(TODAY, Inventory.defaults))
    add_more_history(brand)
    assert count_queries(lambda: inventory_analysis(TODAY, Inventory.defaults)) == small
