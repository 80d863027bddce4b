"""sales.forecast: level x weekday factors for the rest of the month, against the SalesTarget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.sales import Forecast
from approvals.models import ProposedAction
from brand import models as bm
from brand.metrics.sales import sales_forecast
from memory.services import current
from tests.agents.specialists.fin_brand import (
    TODAY,
    OrderBatch,
    at,
    build_control_brand,
    grow,
    run_specialist,
    set_brand_timezone,
)
from tests.factories import CustomerFactory, ProductFactory, VariantFactory

CONFIG = Forecast.defaults
# Weekdays 100 a day, weekends 200: the average day is 900 / 7.
PATTERN = {0: 100, 1: 100, 2: 100, 3: 100, 4: 100, 5: 200, 6: 200}


def synthetic_brand() -> None:
    """Ten weeks of one order a day worth PATTERN[weekday], placed at 23:30 brand time (the next
    day in UTC), so that a forecast bucketing days in UTC would be visibly wrong."""
    set_brand_timezone()
    customer = CustomerFactory()
    variant = VariantFactory(product=ProductFactory(), price=Decimal("100.00"))
    batch = OrderBatch()
    for offset in range(1, 71):
        day = TODAY - dt.timedelta(days=offset)
        quantity = PATTERN[day.weekday()] // 100
        batch.add(customer, at(day, 23, 30), [(variant, quantity)])
    batch.save()


def test_the_forecast_recovers_a_known_weekly_pattern(db):
    synthetic_brand()
    bm.SalesTarget.objects.create(month=dt.date(2025, 3, 1), revenue=Decimal("5000"))
    f = sales_forecast(TODAY, CONFIG)
    assert f.level == Decimal("128.57")  # 3,600 over the last 28 days
    assert [f.weekday_factors[d] for d in range(7)] == [0.7778] * 5 + [1.5556] * 2
    assert [d.revenue for d in f.next_days] == [
        Decimal(PATTERN[(TODAY + dt.timedelta(days=i)).weekday()]) for i in range(14)
    ]
    assert f.forecast_horizon == Decimal("1800.00")
    # March 1..19 holds 6 weekend days and 13 weekdays; March 20..31 has 4 weekend days and 8 weekdays.
    assert f.mtd_revenue == Decimal("2500.00")
    assert f.forecast_rest == Decimal("1600.00") and len(f.rest_of_month) == 12
    assert f.projected == Decimal("4100.00")
    assert f.gap_ratio == -0.18


def test_control_brand_is_on_course_and_nothing_is_published(db):
    brand = build_control_brand()
    f = sales_forecast(TODAY, CONFIG)
    assert f.target == brand.target.revenue and -0.1 < f.gap_ratio < 0.1
    run = run_specialist(Forecast.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()
    gap = current("brand:forecast:month_gap")
    assert gap.kind == "metric" and gap.data["value"] == f.gap_ratio
    assert len(current("brand:forecast:14d").data["days"]) == 14


def test_a_forecast_miss_is_published_with_its_numbers(db):
    synthetic_brand()
    bm.SalesTarget.objects.create(month=dt.date(2025, 3, 1), revenue=Decimal("5000"))
    run = run_specialist(Forecast.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposal = ProposedAction.objects.get()
    assert proposal.action_type == "report.publish" and proposal.division.slug == "sales"
    assert "March is projected at $4,100 against a $5,000 target: $900 short (-18.0%)" in proposal.rationale
    assert "Month to date $2,500; forecast $1,600 for the remaining 12 days" in proposal.rationale
    assert proposal.args["data"]["gap_ratio"] == -0.18
    gap = current("brand:forecast:month_gap")
    assert gap.kind == "insight" and gap.data["target"] == 5000.0
    assert gap in proposal.evidence.all()


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    with CaptureQueriesContext(connection) as small:
        sales_forecast(TODAY, CONFIG)
    grow(brand, 3)
    with CaptureQueriesContext(connection) as big:
        sales_forecast(TODAY, CONFIG)
    assert len(small) == len(big) == 3
