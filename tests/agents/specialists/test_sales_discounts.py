"""sales.discounts: uplift and margin after discount per code -> pricing.retire_discount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.sales import Discounts
from approvals.models import ProposedAction
from brand import models as bm
from brand.metrics.sales import discount_performance
from memory.services import current
from tests.agents.specialists.fin_brand import TODAY, build_control_brand, grow, new_variant, run_specialist, sell_daily

CONFIG = Discounts.defaults


def plant_welcome40(brand):
    bm.Discount.objects.create(code="WELCOME40", percent_off=Decimal("40"))
    box = new_variant("WB-900", "welcome-box", "Welcome Box", price="40.00", cost="26.00")
    # 30 orders: 1,200 at full price - 480 off - 780 cost of goods = -60.
    sell_daily(
        brand, box, {TODAY - dt.timedelta(days=d): 1 for d in range(1, 31)}, code="welcome40", percent_off=Decimal("40")
    )


def test_control_brand_codes_are_profitable_and_nothing_is_retired(db):
    build_control_brand()
    (spring,) = discount_performance(TODAY, CONFIG)
    assert spring.code == "SPRING10" and spring.margin > 0 and spring.margin_rate > 0.5
    run = run_specialist(Discounts.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()
    assert current("code:SPRING10:margin").data["value"] == spring.margin_rate


def test_welcome40_loses_money_and_is_retired(db):
    brand = build_control_brand()
    plant_welcome40(brand)
    worst = discount_performance(TODAY, CONFIG)[0]
    assert (worst.code, worst.orders, worst.gross, worst.discount, worst.cogs, worst.margin) == (
        "WELCOME40",
        30,
        Decimal("1200.00"),
        Decimal("480.00"),
        Decimal("780.00"),
        Decimal("-60.00"),
    )
    assert worst.margin_rate == -0.0833 and worst.aov == Decimal("24.00")

    run = run_specialist(Discounts.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposal = ProposedAction.objects.get()
    assert proposal.action_type == "pricing.retire_discount" and proposal.args == {"code": "WELCOME40"}
    assert (
        "WELCOME40 (40% off) loses money: 30 orders in 60 days, $1,200 at full price - $480 discount - $780 cost of "
        "goods = -$60 gross margin (-8.3% of net revenue)"
    ) in proposal.rationale
    entry = current("code:WELCOME40:margin")
    assert entry.data["value"] == -0.0833 and list(proposal.evidence.all()) == [entry]


def test_a_code_without_a_discount_row_is_put_to_a_person_as_a_brief(db):
    """A code seen only on the orders export cannot be retired by Atlas; its loss is not dropped either."""
    brand = build_control_brand()
    box = new_variant("WB-900", "welcome-box", "Welcome Box", price="40.00", cost="26.00")
    sell_daily(
        brand, box, {TODAY - dt.timedelta(days=d): 1 for d in range(1, 31)}, code="GHOST50", percent_off=Decimal("50")
    )
    run_specialist(Discounts.key)
    (brief,) = ProposedAction.objects.all()
    assert brief.action_type == "brief.draft" and brief.args["data"]["code"] == "GHOST50"
    assert "GHOST50 (50% off) loses money" in brief.rationale and "No discount record in Atlas" in brief.rationale
    assert current("code:GHOST50:margin").data["value"] < 0


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    plant_welcome40(brand)
    with CaptureQueriesContext(connection) as small:
        discount_performance(TODAY, CONFIG)
    grow(brand, 3)
    with CaptureQueriesContext(connection) as big:
        discount_performance(TODAY, CONFIG)
    assert len(small) == len(big) == 4
