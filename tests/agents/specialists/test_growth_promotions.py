"""growth.promotions: an under-promoted high-margin top seller gets a discount, an e-mail and a free slot."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agents.specialists.growth import Promotions
from brand import models as bm
from brand.metrics.growth import promotions_analysis
from tests.agents.specialists.gro_brand import (
    TODAY,
    add_more_history,
    add_orders,
    build_control_brand,
    count_queries,
    run_agent,
)
from tests.factories import AdCampaignFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def plant_pan(brand) -> bm.Variant:
    """HP-310: 65% margin, 40 units in 28 days (the best seller), no campaign, 600 in stock."""
    pan = VariantFactory(
        product=ProductFactory(handle="enamel-roasting-pan", title="Enamel Roasting Pan"),
        sku="HP-310",
        price=Decimal("80.00"),
        cost=Decimal("28.00"),
        stock=600,
        supplier=brand.supplier,
    )
    add_orders(brand, [(None, brand.days_ago(1 + n % 28), pan, 1) for n in range(40)])
    return pan


def test_control_brand_promotes_nothing():
    build_control_brand()
    _run, proposals = run_agent(Promotions.key)
    assert proposals == []


def test_finds_the_pan_with_its_numbers():
    brand = build_control_brand()
    plant_pan(brand)
    findings = promotions_analysis(TODAY, Promotions.defaults)
    assert [c.sku for c in findings.candidates] == ["HP-310"]
    pan = findings.candidates[0]
    assert pan.margin == pytest.approx(0.65)
    assert pan.units_28d == 40 and pan.rank == 1
    assert pan.days_of_cover == pytest.approx(600 / (40 / 28))


def test_a_campaign_promoting_it_or_a_low_margin_silences_it():
    brand = build_control_brand()
    pan = plant_pan(brand)
    AdCampaignFactory(name="Pan push").skus.set([pan])
    assert promotions_analysis(TODAY, Promotions.defaults).candidates == []


def test_proposes_discount_and_email_in_a_free_slot():
    brand = build_control_brand()
    plant_pan(brand)
    # A send to all subscribers two days out: the promotion takes the next free morning.
    bm.CalendarItem.objects.create(
        title="Busy day",
        kind=bm.CalendarKind.EMAIL,
        starts_at=brand.at(TODAY + dt.timedelta(days=2), 9),
        segment=brand.segments["all-subscribers"],
    )
    _run, proposals = run_agent(Promotions.key)
    assert [p.action_type for p in proposals] == ["pricing.create_discount", "email.send_campaign"]
    discount, email = proposals
    assert discount.args["skus"] == ["HP-310"] and Decimal(discount.args["percent_off"]) == 15
    assert discount.args["code"] == "HP310SAVE15"
    slot = dt.datetime.fromisoformat(email.args["scheduled_at"])
    assert slot.astimezone(brand.tz).date() == TODAY + dt.timedelta(days=3)
    assert email.args["segment"] == "all-subscribers"
    assert "15% off" in email.args["subject"] and "HP310SAVE15" in email.args["body"]
    assert "65% margin" in discount.rationale and "40 units in the last 28 days" in discount.rationale


def test_send_back_with_a_percentage_revises_discount_and_email():
    brand = build_control_brand()
    plant_pan(brand)
    _run, (discount, email) = run_agent(Promotions.key)
    _run, revised = run_agent(Promotions.key, feedback=(discount, "make it 10% not 15%"))
    new_discount, new_email = revised
    assert new_discount.revision_of == discount and Decimal(new_discount.args["percent_off"]) == 10
    assert new_email.revision_of == email and "10% off" in new_email.args["subject"]


def test_intent_naming_a_product_lowers_the_bar():
    brand = build_control_brand()
    _run, proposals = run_agent(Promotions.key, intent_text="Can we push the Steady Product 3 a bit harder?")
    assert proposals == []  # its 50% margin clears the intent's 45%, but a campaign already promotes it
    # Steady Product 7 is promoted by no campaign (the control campaigns push products 0-5).
    _run, proposals = run_agent(Promotions.key, intent_text="Can we push the Steady Product 7 a bit harder?")
    assert proposals and proposals[0].args["skus"] == [brand.variants[7].sku]


def test_constant_queries():
    brand = build_control_brand()
    plant_pan(brand)
    small = count_queries(lambda: promotions_analysis(TODAY, Promotions.defaults))
    add_more_history(brand)
    assert count_queries(lambda: promotions_analysis(TODAY, Promotions.defaults)) == small
