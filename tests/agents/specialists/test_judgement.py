"""Judgement on the data a shop really has: missing lead times, suppliers and budgets, too little history,
recent trends over long averages, best-sellers never marked down for cover alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agents.models import RunStatus
from agents.orchestrator.headlines import stockout_risks
from agents.specialists.growth import PaidMedia
from agents.specialists.operations import Inventory
from agents.specialists.product import Assortment
from approvals.models import ProposedAction
from brand import models as bm
from brand.metrics.growth import paid_media_analysis
from memory.models import MemoryEntry
from tests.agents.specialists import fin_brand
from tests.agents.specialists.gro_brand import TODAY, add_metrics, add_orders, build_control_brand, run_agent
from tests.factories import AdCampaignFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _unsourced_best_seller(brand, *, stock: int = 30) -> bm.Variant:
    """5 a day for 28 days, no supplier and no lead time: what a Shopify products export gives."""
    variant = VariantFactory(
        product=ProductFactory(handle="shop-tee", title="Shop Tee"),
        sku="TEE-1",
        price=Decimal("30.00"),
        cost=Decimal("10.00"),
        stock=stock,
        supplier=None,
        lead_time_days=None,
    )
    add_orders(brand, [(None, brand.days_ago(1 + n % 28), variant, 1) for n in range(140)])
    return variant


def test_no_supplier_and_no_lead_time_assumes_the_default_and_asks_a_person_to_pick_a_supplier():
    brand = build_control_brand()
    _unsourced_best_seller(brand)
    _run, proposals = run_agent(Inventory.key)
    (brief,) = proposals
    assert brief.action_type == "brief.draft"
    assert brief.args["data"]["lines"] == [{"sku": "TEE-1", "quantity": 225}]  # (21 + 30) x 5 - 30
    text = brief.rationale
    assert "lead time unknown; assuming 21 days" in text and "No supplier on record" in text
    # 30 units at 5 a day: out on 26 May; an order today could arrive 21 days later, on 10 June.
    assert "the stock lasts until 26 May, the next delivery could arrive on 10 June" in text
    assert "pick" in brief.args["body"]


def test_a_recent_surge_is_judged_on_the_recent_rate():
    brand = build_control_brand()
    surge = VariantFactory(
        product=ProductFactory(handle="surge", title="Surge Mug"), sku="SU-1", stock=100, supplier=brand.supplier
    )
    # 1 a day for three weeks, then 10 a day: 28-day cover 100 / 3.25 = 31 days, recent cover 10 days.
    specs = [(None, brand.days_ago(n), surge, 1) for n in range(8, 29)]
    specs += [(None, brand.days_ago(1 + n % 7), surge, 1) for n in range(70)]
    add_orders(brand, specs)
    _run, proposals = run_agent(Inventory.key)
    (po,) = proposals
    assert po.action_type == "po.create" and po.args["lines"][0]["sku"] == "SU-1"
    assert "70 sold in the last 7 days, well above the 28-day pace of 91: cover on the recent rate" in po.rationale
    assert "SU-1 Surge Mug has 10.0 days of cover" in po.rationale


def test_too_little_history_proposes_nothing_and_says_why():
    brand = build_control_brand()
    bm.OrderLine.objects.filter(order__created_at__lt=brand.days_ago(6)).delete()
    bm.Order.objects.filter(created_at__lt=brand.days_ago(6)).delete()
    _unsourced_best_seller(brand)
    bm.OrderLine.objects.filter(order__created_at__lt=brand.days_ago(6)).delete()
    bm.Order.objects.filter(created_at__lt=brand.days_ago(6)).delete()
    run, proposals = run_agent(Inventory.key)
    assert proposals == []
    assert any("days of order history" in w for w in run.warnings)
    assert MemoryEntry.objects.filter(author_run=run, text__contains="Inventory not judged").exists()


def _collapsing(name: str, *, budget: Decimal, spend) -> bm.AdCampaign:
    campaign = AdCampaignFactory(name=name, channel=bm.Channel.META, daily_budget=budget)
    add_metrics(
        campaign,
        range(1, 29),
        TODAY,
        spend=spend,
        revenue=lambda n: Decimal("100.00") if n <= 7 else Decimal("400.00"),
    )
    return campaign


def test_no_budget_in_the_export_cuts_the_effective_budget_from_observed_spend():
    build_control_brand()
    campaign = _collapsing("Prospecting - Meta export", budget=Decimal("0"), spend=Decimal("100.00"))
    _run, proposals = run_agent(PaidMedia.key)
    (cut,) = [p for p in proposals if p.args["campaign_id"] == campaign.pk]
    assert cut.action_type == "ads.set_daily_budget" and cut.args["daily_budget"] == "70.00"
    assert "no daily budget; the effective one is $100, the median of the last 7 days' spend" in cut.rationale


def test_a_cut_that_cannot_be_expressed_becomes_a_pause():
    build_control_brand()
    # Spend in bursts: the median day spends nothing, so no smaller budget can be written.
    campaign = _collapsing(
        "Bursty - Meta export",
        budget=Decimal("0"),
        spend=lambda n: Decimal("400.00") if n % 3 == 0 else Decimal("0.00"),
    )
    _run, proposals = run_agent(PaidMedia.key)
    (pause,) = [p for p in proposals if p.args["campaign_id"] == campaign.pk]
    assert pause.action_type == "ads.pause_campaign"
    assert "cannot be expressed as a smaller budget, so pause it" in pause.rationale


def test_a_winner_whose_last_days_collapse_is_not_raised():
    build_control_brand()
    winner = AdCampaignFactory(name="Capped Winner", daily_budget=Decimal("100.00"))
    add_metrics(
        winner,
        range(1, 29),
        TODAY,
        spend=Decimal("100.00"),
        revenue=lambda n: Decimal("50.00") if n <= 3 else Decimal("600.00"),
    )
    findings = paid_media_analysis(TODAY, PaidMedia.defaults)
    (row,) = [c for c in findings.campaigns if c.campaign_id == winner.pk]
    assert row.roas_7d > PaidMedia.defaults["winner_min_roas"] * PaidMedia.defaults["weak_ratio"]
    assert row.roas_3d == 0.5
    assert winner.pk not in [c.campaign_id for c in findings.winners]


def _slow_brand():
    return fin_brand.build_control_brand()


def test_a_rising_item_is_not_marked_down():
    brand = _slow_brand()
    rising = fin_brand.new_variant("RI-1", "rising", "Rising Vase", price="40.00", cost="10.00", stock=600)
    # Nothing for three weeks, then 40 in the last 7 days: 420 days of cover on 28 days, 105 on the week.
    last = fin_brand.TODAY - dt.timedelta(days=1)
    fin_brand.sell_daily(
        brand, rising, {last - dt.timedelta(days=d): 6 for d in range(6)} | {last - dt.timedelta(days=6): 4}
    )
    run = fin_brand.run_specialist(Assortment.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.filter(action_type="pricing.set_markdown", args__sku="RI-1").exists()
    assert any("RI-1" in w and "rising" in w for w in run.warnings)


def test_a_best_seller_is_never_marked_down_for_cover_alone():
    brand = _slow_brand()
    star = fin_brand.new_variant("BS-1", "best", "Best Board", price="60.00", cost="20.00", stock=5000)
    last = fin_brand.TODAY - dt.timedelta(days=1)
    fin_brand.sell_daily(brand, star, {last - dt.timedelta(days=d): 8 for d in range(28)})
    run = fin_brand.run_specialist(Assortment.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.filter(action_type="pricing.set_markdown", args__sku="BS-1").exists()
    assert any("BS-1" in w and "best-seller" in w for w in run.warnings)


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("finance.budget_guard", "no channel budget for this month: spend pacing not judged"),
        ("sales.forecast", "forecast written, no miss judged"),
    ],
)
def test_a_shop_without_budgets_or_targets_is_told_what_was_not_judged(key, said):
    build_control_brand()  # campaigns and orders, no channel budget and no sales target
    run, _proposals = run_agent(key)
    assert any(said in w for w in run.warnings), run.warnings


def test_the_reorder_brief_is_the_stock_out_risks_drafted_fix():
    brand = build_control_brand()
    _unsourced_best_seller(brand)
    _run, (brief,) = run_agent(Inventory.key)
    (risk,) = stockout_risks(TODAY, dt.datetime.combine(TODAY, dt.time(8), tzinfo=brand.tz), [])
    assert risk.numbers["sku"] == "TEE-1" and brief in risk.proposals
    assert "its lead time is unknown (assuming 21 days, no supplier on record)" in risk.text
