"""intelligence.anomalies: daily revenue, orders and spend against their weekly pattern (robust z)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.intelligence import Anomalies
from approvals.models import ProposedAction
from brand import models as bm
from brand.metrics.intelligence import daily_anomalies
from memory.models import MemoryEntry
from memory.services import current
from tests.agents.specialists.fin_brand import TODAY, at, build_control_brand, grow, run_specialist
from tests.factories import AdCampaignFactory

CONFIG = Anomalies.defaults
SPIKE_DAY = TODAY - dt.timedelta(days=3)  # end_date - 2


def plant_spend_spike(brand):
    """A runaway campaign spends twice the brand's usual daily spend in one day, selling nothing."""
    runaway = AdCampaignFactory(name="Runaway Broad", channel=bm.Channel.META, daily_budget=Decimal("600"))
    bm.AdMetric.objects.create(campaign=runaway, date=SPIKE_DAY, spend=Decimal("576.00"), revenue=Decimal("0"))


def test_control_brand_has_no_anomaly(db):
    build_control_brand()
    report = daily_anomalies(TODAY, CONFIG)
    assert report.anomalies == () and len(report.days) == 7
    assert report.days[0].day == TODAY - dt.timedelta(days=1)
    assert all(abs(s.z) < 3 for d in report.days for s in d.scores.values())
    run = run_specialist(Anomalies.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not MemoryEntry.objects.exists()


def test_a_spend_spike_with_no_revenue_is_a_risk_insight(db):
    brand = build_control_brand()
    plant_spend_spike(brand)
    (anomaly,) = daily_anomalies(TODAY, CONFIG).anomalies
    spend = anomaly.scores["spend"]
    assert (anomaly.day, anomaly.kind) == (SPIKE_DAY, "spend")
    assert (spend.value, spend.median, spend.mad) == (864.0, 288.0, 0.0)
    assert spend.z == round(0.6745 * 576 / 14.4, 2)  # MAD floored at 5% of the median
    assert anomaly.scores["ad_revenue"].z == 0 and anomaly.scores["orders"].z == 0

    run = run_specialist(Anomalies.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    entry = current(f"brand:anomaly:{SPIKE_DAY.isoformat()}:spend")
    assert entry.kind == "insight" and entry.data["risk"] is True and entry.data["spend"]["value"] == 864.0
    assert "ad spend on Mon 2025-03-17 was $864, 3.0x its $288 weekday norm" in entry.text
    assert not ProposedAction.objects.exists()


def test_a_revenue_drop_is_a_risk_too(db):
    brand = build_control_brand()
    # Nothing sold on that brand day (a checkout outage): revenue and orders fall to zero.
    bm.Order.objects.filter(
        created_at__gte=at(SPIKE_DAY, 0), created_at__lt=at(TODAY - dt.timedelta(days=2), 0)
    ).delete()
    report = daily_anomalies(TODAY, CONFIG)
    assert {(a.day, a.kind) for a in report.anomalies} == {(SPIKE_DAY, "revenue"), (SPIKE_DAY, "orders")}
    run_specialist(Anomalies.key)
    assert "fell to $0" in current(f"brand:anomaly:{SPIKE_DAY.isoformat()}:revenue").text
    assert brand.today == TODAY


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    with CaptureQueriesContext(connection) as small:
        daily_anomalies(TODAY, CONFIG)
    grow(brand, 3)
    with CaptureQueriesContext(connection) as big:
        daily_anomalies(TODAY, CONFIG)
    assert len(small) == len(big) == 3
