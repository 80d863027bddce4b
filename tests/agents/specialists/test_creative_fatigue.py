"""creative.fatigue: a 40% CTR fall on steady impressions gets a refresh brief with new ad copy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.specialists.creative import CreativeFatigue
from brand import models as bm
from brand.metrics.creative import fatigue_analysis
from memory.services import current
from tests.agents.specialists.gro_brand import (
    TODAY,
    add_metrics,
    add_more_history,
    build_control_brand,
    count_queries,
    run_agent,
)
from tests.factories import AdCampaignFactory

pytestmark = pytest.mark.django_db


def plant_fatigue(brand) -> bm.AdCampaign:
    """CTR 2.0% the week before, 1.1% in the last 7 days, on 20,000 impressions a day both weeks."""
    campaign = AdCampaignFactory(name="Cozy Nights - Video", daily_budget=Decimal("150"), ad_copy="Cozy up.")
    add_metrics(campaign, range(1, 29), brand.today, impressions=20000, clicks=lambda n: 220 if n <= 7 else 400)
    return campaign


def test_control_brand_is_fresh():
    build_control_brand()
    assert fatigue_analysis(TODAY, CreativeFatigue.defaults).fatigued == []
    _run, proposals = run_agent(CreativeFatigue.key)
    assert proposals == []


def test_finds_the_fall_and_drafts_a_brief():
    brand = build_control_brand()
    campaign = plant_fatigue(brand)
    (found,) = fatigue_analysis(TODAY, CreativeFatigue.defaults).fatigued
    assert found.ctr_7d == pytest.approx(0.011) and found.ctr_prev_7d == pytest.approx(0.02)
    assert found.ctr_ratio == pytest.approx(0.55) and found.impressions_ratio == 1
    _run, proposals = run_agent(CreativeFatigue.key)
    (brief,) = proposals
    assert brief.action_type == "brief.draft" and brief.category == "internal"
    assert brief.args["data"]["campaign_id"] == campaign.pk
    assert "Headline:" in brief.args["body"] and "Cozy up." in brief.args["body"]
    assert "CTR fell 45% week over week (2.00% -> 1.10%)" in brief.rationale
    assert current(f"campaign:{campaign.pk}:ctr_trend").data["value"] == 0.55


def test_falling_impressions_are_not_fatigue():
    brand = build_control_brand()
    campaign = AdCampaignFactory(name="Throttled")
    add_metrics(
        campaign,
        range(1, 15),
        brand.today,
        impressions=lambda n: 6000 if n <= 7 else 20000,
        clicks=lambda n: 60 if n <= 7 else 400,
    )
    assert fatigue_analysis(TODAY, CreativeFatigue.defaults).fatigued == []


def test_an_intent_naming_a_campaign_accepts_a_smaller_fall():
    brand = build_control_brand()
    campaign = AdCampaignFactory(name="Autumn Table - Carousel")
    add_metrics(campaign, range(1, 15), brand.today, impressions=20000, clicks=lambda n: 320 if n <= 7 else 400)
    _run, proposals = run_agent(CreativeFatigue.key)
    assert proposals == []
    _run, proposals = run_agent(CreativeFatigue.key, intent_text="Is the Autumn Table ad getting tired?")
    assert [p.args["data"]["campaign_id"] for p in proposals] == [campaign.pk]


def test_constant_queries():
    brand = build_control_brand()
    plant_fatigue(brand)
    small = count_queries(lambda: fatigue_analysis(TODAY, CreativeFatigue.defaults))
    add_more_history(brand)
    assert count_queries(lambda: fatigue_analysis(TODAY, CreativeFatigue.defaults)) == small
