"""operations.calendar: two sends to one segment within 24 hours, a launch before its stock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agents.specialists.operations import Calendar
from brand import models as bm
from brand.metrics.operations import calendar_analysis
from tests.agents.specialists.gro_brand import TODAY, add_more_history, build_control_brand, count_queries, run_agent

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


def test_a_send_scheduled_without_a_calendar_item_clashes_too():
    brand = build_control_brand()
    early, _late = plant_clash(brand)
    bm.CalendarItem.objects.filter(pk=_late.pk).delete()  # the Restock Alert is scheduled directly
    restock = bm.EmailCampaign.objects.get(name="VIP Restock Alert")
    findings = calendar_analysis(TODAY, Calendar.defaults)
    (clash,) = findings.clashes
    assert (clash.earlier.item_id, clash.later.item_id, clash.later.email_campaign_id) == (early.pk, None, restock.pk)
    assert clash.gap_hours == 6 and len(findings.sends) == 4
    _run, (move,) = run_agent(Calendar.key)
    # Not on the calendar: it is rescheduled as the send it is (which puts it on the calendar).
    assert move.action_type == "email.send_campaign" and move.args["email_campaign_id"] == restock.pk
    assert dt.datetime.fromisoformat(move.args["scheduled_at"]) == early.starts_at + dt.timedelta(hours=24)
    assert "6 hours apart" in move.rationale and "without a calendar item" in move.rationale


def test_a_direct_send_before_a_calendar_send_moves_the_calendar_one():
    brand = build_control_brand()
    early, late = plant_clash(brand)
    bm.CalendarItem.objects.filter(pk=early.pk).delete()
    (clash,) = calendar_analysis(TODAY, Calendar.defaults).clashes
    assert (clash.earlier.title, clash.earlier.item_id, clash.later.item_id) == ("VIP Early Access", None, late.pk)
    # A cancelled or draft campaign is not a send.
    bm.EmailCampaign.objects.filter(name="VIP Early Access").update(status=bm.EmailStatus.DRAFT)
    assert calendar_analysis(TODAY, Calendar.defaults).clashes == []


def test_an_intent_naming_a_send_moves_it_to_the_first_clear_slot_next_week():
    brand = build_control_brand()
    _early, late = plant_clash(brand)  # Restock Alert on Sat May 23 16:00
    monday = TODAY + dt.timedelta(days=5)
    assert monday.weekday() == 0
    bm.CalendarItem.objects.create(
        title="VIP Lookbook", kind=bm.CalendarKind.EMAIL, starts_at=brand.at(monday, 15), segment=brand.segments["vip"]
    )
    _run, proposals = run_agent(Calendar.key, intent_text="Move the VIP restock e-mail to next week")
    assert [(p.action_type, p.args["item_id"]) for p in proposals] == [("calendar.reschedule", late.pk)]
    # Monday 16:00 is an hour after the Lookbook: Tuesday 16:00 is the first slot 24 hours clear.
    assert dt.datetime.fromisoformat(proposals[0].args["starts_at"]) == brand.at(monday + dt.timedelta(days=1), 16)
    assert "Sat May 23 16:00 to Tue May 26 16:00" in proposals[0].rationale
    assert "2 other scheduled sends" in proposals[0].rationale


def test_an_explicit_check_records_what_it_looked_at():
    from memory.services import current

    build_control_brand()
    _run, proposals = run_agent(Calendar.key, intent_text="Check the calendar for clashes")
    assert proposals == []
    entry = current("calendar:clash_check")
    assert (entry.data["value"], entry.data["sends"]) == (0, 2)
    assert entry.text.startswith("2 e-mail sends in the next 21 days: 0 send clashes")
