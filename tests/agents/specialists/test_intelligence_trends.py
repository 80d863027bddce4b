"""intelligence.trends: week-over-week growth, acceleration and significance per product and category."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.intelligence import Trends
from approvals.models import ProposedAction
from brand.metrics.intelligence import trends
from memory.models import MemoryEntry
from memory.services import current
from tests.agents.specialists.fin_brand import TODAY, build_control_brand, grow, new_variant, run_specialist, sell_daily

CONFIG = Trends.defaults


def plant_cold_brew(brand):
    maker = new_variant(
        "CB-500", "cold-brew-maker", "Cold Brew Maker", price="45.00", cost="15.00", product_type="Coffee"
    )
    units = {}
    for d in range(1, 22):
        day = TODAY - dt.timedelta(days=d)
        week = (d - 1) // 7  # 0: the last 7 days
        units[day] = {0: [6, 6, 6, 6, 6, 5, 5], 1: [2, 2, 2, 2, 2, 3, 3], 2: [2, 2, 2, 2, 2, 3, 3]}[week][(d - 1) % 7]
    sell_daily(brand, maker, units)  # 40 units this week, 16 in each of the two before


def test_control_brand_has_no_rising_trend(db):
    build_control_brand()
    report = trends(TODAY, CONFIG)
    assert not any(t.rising(CONFIG) for t in report.products + report.categories)
    run = run_specialist(Trends.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not MemoryEntry.objects.filter(kind="insight").exists()
    assert current("product:chef-knife:trend_wow").kind == "metric"
    assert not ProposedAction.objects.exists()


def test_the_cold_brew_maker_up_150_percent_is_an_insight(db):
    brand = build_control_brand()
    plant_cold_brew(brand)
    top = trends(TODAY, CONFIG).products[0]
    assert (top.name, top.units_7d, top.units_prev_7d, top.units_prev2_7d) == ("cold-brew-maker", 40, 16, 16)
    assert (top.growth, top.previous_growth, top.acceleration, top.z) == (1.5, 0.0, 1.5, 3.21)

    run = run_specialist(Trends.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    entry = current("product:cold-brew-maker:trend_wow")
    assert entry.kind == "insight" and entry.division.slug == "intelligence"
    assert entry.data["value"] == 1.5 and entry.data["rising"] is True and entry.data["z"] == 3.21
    assert "40 units in the last 7 days vs 16 the week before (+150% week over week" in entry.text
    assert current("category:coffee:trend_wow").data["value"] == 1.5
    insights = MemoryEntry.objects.filter(kind="insight", is_current=True).values_list("key", flat=True)
    assert set(insights) == {"category:coffee:trend_wow", "product:cold-brew-maker:trend_wow"}


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    plant_cold_brew(brand)
    with CaptureQueriesContext(connection) as small:
        trends(TODAY, CONFIG)
    grow(brand, 3)
    with CaptureQueriesContext(connection) as big:
        trends(TODAY, CONFIG)
    assert len(small) == len(big) == 2
