"""growth.paid_media: weak campaigns lose budget to under-funded winners, never to one about to run out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.specialists.growth import PaidMedia
from brand import models as bm
from brand.metrics.growth import paid_media_analysis
from memory.services import current
from tests.agents.specialists.gro_brand import TODAY, add_metrics, build_control_brand, run_agent
from tests.factories import AdCampaignFactory, ProductFactory, SupplierFactory, VariantFactory

pytestmark = pytest.mark.django_db


def plant_weak(brand) -> bm.AdCampaign:
    """28-day ROAS about 2.4 with the last 7 days at 0.8 on $1,260 of spend."""
    campaign = AdCampaignFactory(name="Spring Glow - Prospecting", daily_budget=Decimal("180.00"))
    campaign.skus.set(brand.variants[6:7])
    add_metrics(
        campaign,
        range(1, 29),
        brand.today,
        spend=Decimal("180.00"),
        revenue=lambda n: Decimal("144.00") if n <= 7 else Decimal("512.00"),
    )
    return campaign


def plant_winner(brand, name: str = "Evergreen - Retargeting", skus=None) -> bm.AdCampaign:
    """ROAS 6 every day, spending 99% of its $120 budget."""
    campaign = AdCampaignFactory(name=name, channel=bm.Channel.GOOGLE, daily_budget=Decimal("120.00"))
    campaign.skus.set(skus if skus is not None else brand.variants[7:8])
    add_metrics(campaign, range(1, 29), brand.today, spend=Decimal("118.80"), revenue=Decimal("712.80"))
    return campaign


def test_control_brand_moves_nothing():
    build_control_brand()
    _run, proposals = run_agent(PaidMedia.key)
    assert proposals == []
    # It still writes what it measured.
    campaign = bm.AdCampaign.objects.get(name="Steady Campaign 0")
    assert current(f"campaign:{campaign.pk}:roas_7d").data["value"] == 3.0


def test_weak_and_winner_found_with_numbers():
    brand = build_control_brand()
    weak, winner = plant_weak(brand), plant_winner(brand)
    findings = paid_media_analysis(TODAY, PaidMedia.defaults)
    assert [c.name for c in findings.weak] == [weak.name]
    assert [c.name for c in findings.winners] == [winner.name]
    w = findings.weak[0]
    assert w.spend_7d == Decimal("1260.00")
    assert w.roas_7d == pytest.approx(0.8)
    assert w.roas_28d == pytest.approx((144 * 7 + 512 * 21) / (180 * 28))
    assert findings.winners[0].capped_days == 14


def test_budget_moves_from_weak_to_winner_and_total_stays():
    brand = build_control_brand()
    weak, winner = plant_weak(brand), plant_winner(brand)
    _run, proposals = run_agent(PaidMedia.key)
    assert [p.action_type for p in proposals] == ["ads.set_daily_budget", "ads.set_daily_budget"]
    cut, raise_ = proposals
    assert cut.args["campaign_id"] == weak.pk and Decimal(cut.args["daily_budget"]) == Decimal("126.00")
    assert raise_.args["campaign_id"] == winner.pk and Decimal(raise_.args["daily_budget"]) == Decimal("174.00")
    assert Decimal(cut.args["daily_budget"]) + Decimal(raise_.args["daily_budget"]) == Decimal("300.00")
    assert "ROAS 7d 0.80 vs 28d 2.33 on $1,260 spend" in cut.rationale
    assert "Evergreen - Retargeting" in cut.rationale
    assert "ROAS 28d 6.00" in raise_.rationale
    assert current(f"campaign:{weak.pk}:roas_7d") in cut.evidence.all()


def test_never_scales_a_campaign_whose_sku_runs_out_before_delivery():
    brand = build_control_brand()
    plant_weak(brand)
    skillet = VariantFactory(
        product=ProductFactory(handle="skillet", title="Cast Iron Skillet"),
        sku="HP-104",
        stock=5000,  # plenty on the shelf: only memory says otherwise, so the test shows memory is read
        supplier=SupplierFactory(name="Ironworks Foundry", lead_time_days=21),
    )
    hearth = plant_winner(brand, name="Hearth Pot - Always On", skus=[skillet])
    # Operations said so in memory: paid media reads it rather than recomputing.
    from agents.runtime import registry
    from agents.runtime.services import agent_run_create
    from memory.services import remember

    registry.sync_agents()
    remember(
        key="sku:HP-104:days_of_cover",
        kind="metric",
        division="operations",
        author_run=agent_run_create(agent_key="operations.inventory", trigger="manual"),
        data={"value": 6.1, "lead_time_days": 21, "runs_out_before_delivery": True},
        text="HP-104 has 6.1 days of cover vs a 21-day lead time",
    )
    _run, proposals = run_agent(PaidMedia.key)
    raised = [p for p in proposals if p.args["campaign_id"] == hearth.pk]
    assert raised == []
    assert [p.args["campaign_id"] for p in proposals] == [
        bm.AdCampaign.objects.get(name="Spring Glow - Prospecting").pk
    ]
    assert "the $" not in proposals[0].rationale  # a cut alone: the money moves nowhere


def test_memory_missing_falls_back_to_computing_cover():
    brand = build_control_brand()
    plant_weak(brand)
    skillet = VariantFactory(
        sku="HP-104", stock=3, supplier=SupplierFactory(name="Ironworks Foundry", lead_time_days=21)
    )
    from tests.agents.specialists.gro_brand import add_orders

    add_orders(brand, [(None, brand.days_ago(n), skillet, 1) for n in range(1, 29)])
    hearth = plant_winner(brand, name="Hearth Pot - Always On", skus=[skillet])
    _run, proposals = run_agent(PaidMedia.key)
    assert all(p.args["campaign_id"] != hearth.pk for p in proposals)


def test_send_back_with_an_amount_revises():
    brand = build_control_brand()
    plant_weak(brand), plant_winner(brand)
    _, (cut, _raise) = run_agent(PaidMedia.key)
    _, revised = run_agent(PaidMedia.key, feedback=(cut, "Cut less: make it $150"))
    assert len(revised) == 1
    assert revised[0].revision_of == cut
    assert Decimal(revised[0].args["daily_budget"]) == Decimal("150.00")


def test_constant_queries_whatever_the_size():
    def count(scale: int) -> int:
        build_control_brand(scale=scale)
        with CaptureQueriesContext(connection) as ctx:
            paid_media_analysis(TODAY, PaidMedia.defaults)
        return len(ctx.captured_queries)

    small = count(1)
    bm.AdMetric.objects.all().delete()
    bm.AdCampaign.objects.all().delete()
    for i in range(12):
        c = AdCampaignFactory(name=f"Bulk {i}")
        add_metrics(c, range(1, 60), TODAY)
    with CaptureQueriesContext(connection) as ctx:
        paid_media_analysis(TODAY, PaidMedia.defaults)
    assert len(ctx.captured_queries) == small


def test_an_intent_naming_a_campaign_lowers_the_bar():
    brand = build_control_brand()
    # 7-day ROAS 70% of the 28-day one: not weak by default, weak enough when a person asks about it.
    soft = AdCampaignFactory(name="Autumn Table - Carousel", daily_budget=Decimal("100.00"))
    add_metrics(
        soft,
        range(1, 29),
        brand.today,
        spend=Decimal("100.00"),
        revenue=lambda n: Decimal("180.00") if n <= 7 else Decimal("300.00"),
    )
    _run, proposals = run_agent(PaidMedia.key)
    assert proposals == []
    _run, proposals = run_agent(PaidMedia.key, intent_text="Autumn Table looks expensive lately, should we cut it?")
    assert [(p.args["campaign_id"], Decimal(p.args["daily_budget"])) for p in proposals] == [(soft.pk, Decimal(70))]
