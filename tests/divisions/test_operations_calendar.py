"""operations.calendar: two sends to one segment within 24 hours, a launch before its stock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from brand import models as bm
from divisions.analysis.operations import calendar_analysis
from divisions.specialists.operations import Calendar
from tests.divisions.gro_brand import TODAY, add_more_history, build_control_brand, count_queries, run_agent

pytestmark = pytest.mark.django_db


def plant_clash(brand) -> tuple[bm.CalendarItem, bm.CalendarItem]:
    """VIP Early Access at 10:00 and VIP Restock Alert at 16:00 on today+3, both to vip."""
    items = []
    for title, hour in (("VIP Early Access", 10), ("VIP Restock Alert", 16)):
        email = bm.EmailCampaign.objects.create(
            name=title,
            segment=brand.segments["vip"],
            subject=title,
            body_text="Hello",
            status=bm.EmailStatus.SCHEDULED,
            scheduled_at=brand.at(TODAY + dt.timedelta(days=3), hour),
        )
        items.append(
            bm.CalendarItem.objects.create(
                title=title, kind=bm.CalendarKind.EMAIL, starts_at=email.scheduled_at, email_campaign=email
            )
        )
    return items[0], items[1]


def test_control_brand_has_no_clash():
    build_control_brand()
    findings = calendar_analysis(TODAY, Calendar.defaults)
    assert len(findings.sends) == 2 and findings.clashes == [] and findings.early_launches == []
    _run, proposals = run_agent(Calendar.key)
    assert proposals == []


def test_finds_the_clash_and_moves_the_later_send():
    brand = build_control_brand()
    early, late = plant_clash(brand)
    (clash,) = calendar_analysis(TODAY, Calendar.defaults).clashes
    assert (clash.earlier.item_id, clash.later.item_id, clash.gap_hours) == (early.pk, late.pk, 6)
    _run, (move,) = run_agent(Calendar.key)
    assert move.action_type == "calendar.reschedule" and move.args["item_id"] == late.pk
    assert dt.datetime.fromisoformat(move.args["starts_at"]) == early.starts_at + dt.timedelta(hours=24)
    assert "6 hours apart" in move.rationale and "segment vip" in move.rationale


def test_the_new_time_steers_clear_of_the_next_send():
    brand = build_control_brand()
    early, late = plant_clash(brand)
    bm.CalendarItem.objects.create(
        title="VIP Lookbook",
        kind=bm.CalendarKind.EMAIL,
        starts_at=early.starts_at + dt.timedelta(hours=30),
        segment=brand.segments["vip"],
    )
    _run, proposals = run_agent(Calendar.key)
    late_move = next(p for p in proposals if p.args["item_id"] == late.pk)
    assert dt.datetime.fromisoformat(late_move.args["starts_at"]) == early.starts_at + dt.timedelta(hours=54)


def test_a_launch_before_its_stock_arrives_moves_after_the_delivery():
    brand = build_control_brand()
    variant = brand.variants[3]
    variant.stock = 0
    variant.save()
    po = bm.PurchaseOrder.objects.create(
        number="PO-LATE",
        supplier=brand.supplier,
        status=bm.POStatus.CONFIRMED,
        expected_at=TODAY + dt.timedelta(days=9),
    )
    bm.PurchaseOrderLine.objects.create(purchase_order=po, variant=variant, quantity=100, unit_cost=Decimal("20"))
    launch = bm.CalendarItem.objects.create(
        title="Steady 3 launch",
        kind=bm.CalendarKind.LAUNCH,
        starts_at=brand.at(TODAY + dt.timedelta(days=6), 9),
        variant=variant,
    )
    (found,) = calendar_analysis(TODAY, Calendar.defaults).early_launches
    assert found.item_id == launch.pk and found.arrives_on == TODAY + dt.timedelta(days=9)
    _run, (move,) = run_agent(Calendar.key)
    assert dt.datetime.fromisoformat(move.args["starts_at"]) == brand.at(TODAY + dt.timedelta(days=10), 9)


def test_constant_queries():
    brand = build_control_brand()
    plant_clash(brand)
    small = count_queries(lambda: calendar_analysis(TODAY, Calendar.defaults))
    add_more_history(brand)
    assert count_queries(lambda: calendar_analysis(TODAY, Calendar.defaults)) == small
