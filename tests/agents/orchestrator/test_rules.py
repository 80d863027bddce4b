"""The orchestrator's cross-division rules: each one holds what it should, and only that."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from agents.orchestrator import rules
from approvals.models import Category, ProposedAction
from brand import models as bm
from memory.models import MemoryEntry
from tests import factories as f
from tests.agents.orchestrator.factories import MemoryFactory, ProposalFactory, fact, orchestrator_context
from tests.factories import division

pytestmark = pytest.mark.django_db


@pytest.fixture
def skillet():
    supplier = f.SupplierFactory(name="Ironworks Foundry", lead_time_days=21)
    return f.VariantFactory(sku="HP-104", product=f.ProductFactory(title="Cast Iron Skillet 10in"), supplier=supplier)


@pytest.fixture
def hearth_pot(skillet):
    campaign = f.AdCampaignFactory(name="Hearth Pot - Always On", channel=bm.Channel.META, daily_budget=Decimal("200"))
    campaign.skus.add(skillet)
    return campaign


def cover(sku: str, days: float, lead: int, short: bool) -> MemoryEntry:
    return fact(
        f"sku:{sku}:days_of_cover",
        f"{sku}: {days} days of cover",
        {"value": days, "lead_time_days": lead, "runs_out_before_delivery": short},
    )


def raise_budget(campaign, to: str) -> ProposedAction:
    return ProposalFactory(args={"campaign_id": campaign.pk, "daily_budget": to}, title=f"Raise {campaign.name}")


# --- (a) spend on a stock-out -------------------------------------------------------------------


def test_raising_spend_on_a_campaign_whose_sku_runs_out_is_held_with_the_inventory_fix(hearth_pot, skillet):
    cover("HP-104", 6, 21, True)
    raise_ = raise_budget(hearth_pot, "300.00")
    po = ProposalFactory(
        action_type="po.create",
        division=division("operations"),
        args={"supplier_id": skillet.supplier_id, "lines": [{"sku": "HP-104", "quantity": 400}]},
    )
    pause = ProposalFactory(action_type="ads.pause_campaign", args={"campaign_id": hearth_pot.pk})
    unrelated = ProposalFactory(action_type="po.create", args={"lines": [{"sku": "XX-1", "quantity": 1}]})

    holds = rules.judge()
    assert [h.proposal.pk for h in holds] == [raise_.pk]
    assert holds[0].rule == "spend_on_stockout"
    assert {p.pk for p in holds[0].bundle} == {po.pk, pause.pk}
    assert unrelated not in holds[0].bundle
    assert "6 days of cover" in holds[0].reason and "21 days" in holds[0].reason

    rules.holds_apply(holds, ctx=orchestrator_context())
    raise_.refresh_from_db()
    assert raise_.status == "pending" and raise_.is_held
    assert set(raise_.bundled_with.values_list("pk", flat=True)) == {po.pk, pause.pk}
    entry = MemoryEntry.objects.get(key=f"proposal:{raise_.pk}:hold", is_current=True)
    assert entry.kind == "decision"
    assert entry.data["rule"] == "spend_on_stockout"
    assert sorted(entry.data["bundle"]) == sorted([po.pk, pause.pk])


def test_resuming_a_campaign_on_a_stock_out_is_held_too(hearth_pot):
    cover("HP-104", 6, 21, True)
    resume = ProposalFactory(action_type="ads.resume_campaign", args={"campaign_id": hearth_pot.pk})
    assert [h.proposal for h in rules.judge()] == [resume]


def test_cutting_spend_or_enough_stock_is_not_held(hearth_pot):
    cover("HP-104", 6, 21, True)
    raise_budget(hearth_pot, "150.00")  # a cut helps the stock-out
    assert rules.judge() == []
    cover("HP-104", 60, 21, False)
    raise_budget(hearth_pot, "300.00")
    assert rules.judge() == []


def test_an_already_held_proposal_is_not_judged_again(hearth_pot):
    cover("HP-104", 6, 21, True)
    raise_budget(hearth_pot, "300.00")
    rules.holds_apply(rules.judge(), ctx=orchestrator_context())
    assert rules.judge() == []


def test_a_proposal_decided_between_judging_and_holding_is_a_warning_not_a_crash(hearth_pot):
    cover("HP-104", 6, 21, True)
    raise_ = raise_budget(hearth_pot, "300.00")
    holds = rules.judge()
    ProposedAction.objects.filter(pk=raise_.pk).update(status="rejected")  # a person was quicker
    ctx = orchestrator_context()
    assert rules.holds_apply(holds, ctx=ctx) == []
    assert not MemoryEntry.objects.filter(key=f"proposal:{raise_.pk}:hold").exists()
    ctx.run.refresh_from_db()
    assert len(ctx.run.warnings) == 1 and f"hold of proposal #{raise_.pk} not applied" in ctx.run.warnings[0]


# --- (b) two sends to one segment within 24 hours -----------------------------------------------


def send(email, *, priority=0.0, confidence=0.5) -> ProposedAction:
    return ProposalFactory(
        action_type="email.send_campaign",
        category=Category.MESSAGE,
        division=division("retention"),
        args={"email_campaign_id": email.pk},
        priority=priority,
        confidence=confidence,
        money_at_stake=Decimal("0"),
    )


def test_the_later_of_two_sends_to_one_segment_within_a_day_is_held():
    vip = f.SegmentFactory(key="vip", name="VIP")
    soon = timezone.now() + dt.timedelta(days=3)
    early = f.EmailCampaignFactory(name="VIP Early Access", segment=vip, scheduled_at=soon)
    late = f.EmailCampaignFactory(name="VIP Restock Alert", segment=vip, scheduled_at=soon + dt.timedelta(hours=6))
    first, second = send(early, priority=1), send(late, priority=9)
    holds = rules.judge()
    assert [h.proposal for h in holds] == [second]
    assert holds[0].bundle == [first]
    assert "6 hours" in holds[0].reason and "VIP" in holds[0].reason


def test_at_the_same_time_the_weaker_send_is_held():
    vip = f.SegmentFactory(key="vip", name="VIP")
    at = timezone.now() + dt.timedelta(days=2)
    strong = send(f.EmailCampaignFactory(segment=vip, scheduled_at=at), priority=5)
    weak = send(f.EmailCampaignFactory(segment=vip, scheduled_at=at), priority=1)
    assert [h.proposal for h in rules.judge()] == [weak]
    assert strong.hold_reason == ""


def test_a_send_clashing_with_an_already_scheduled_campaign_is_held():
    vip = f.SegmentFactory(key="vip", name="VIP")
    at = timezone.now() + dt.timedelta(days=2)
    f.EmailCampaignFactory(name="Already booked", segment=vip, scheduled_at=at, status=bm.EmailStatus.SCHEDULED)
    draft = f.EmailCampaignFactory(name="New idea", segment=vip, scheduled_at=at + dt.timedelta(hours=20))
    proposal = send(draft)
    holds = rules.judge()
    assert [h.proposal for h in holds] == [proposal]
    assert "Already booked" in holds[0].reason


def test_sends_a_day_apart_or_to_other_segments_are_fine():
    vip, lapsing = f.SegmentFactory(key="vip"), f.SegmentFactory(key="lapsing-vip")
    at = timezone.now() + dt.timedelta(days=2)
    send(f.EmailCampaignFactory(segment=vip, scheduled_at=at))
    send(f.EmailCampaignFactory(segment=vip, scheduled_at=at + dt.timedelta(hours=25)))
    send(f.EmailCampaignFactory(segment=lapsing, scheduled_at=at))
    assert rules.judge() == []


# --- (c) pacing over ----------------------------------------------------------------------------


def test_a_budget_raise_in_a_channel_pacing_over_is_held():
    tiktok = f.AdCampaignFactory(name="Brew Season - TikTok", channel=bm.Channel.TIKTOK, daily_budget=Decimal("100"))
    meta = f.AdCampaignFactory(name="Meta one", channel=bm.Channel.META, daily_budget=Decimal("100"))
    fact("channel:tiktok:pacing", "TikTok at 130%", {"value": 1.3}, by="finance.budget_guard")
    fact("channel:meta:pacing", "Meta at 92%", {"value": 0.92}, by="finance.budget_guard")
    held = raise_budget(tiktok, "150.00")
    raise_budget(meta, "150.00")
    holds = rules.judge()
    assert [h.proposal for h in holds] == [held]
    assert holds[0].rule == "pacing_over"
    assert "130%" in holds[0].reason


def test_pacing_written_as_a_percentage_is_understood():
    entry = fact("channel:google:pacing", "130", {"value": 130}, by="finance.budget_guard")
    assert rules.pacing_ratio(entry) == pytest.approx(1.3)


# --- (d) discount deeper than a stated preference -----------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "limit"),
    [
        ({"max_discount_percent": 20}, "Keep discounts modest", Decimal("20")),
        ({}, "no discounts above 20% this quarter", Decimal("20")),
        ({}, "Never mark down more than 15 percent", Decimal("15")),
        ({}, "Send the VIP e-mail at 9am", None),
    ],
)
def test_preference_limits_are_read_from_data_or_words(data, text, limit):
    entry = MemoryFactory(kind="preference", data=data, text=text)
    assert rules.preference_limit(entry) == limit


def test_a_discount_deeper_than_a_persons_preference_is_held(owner):
    MemoryFactory(kind="preference", text="no discounts above 20% this quarter", author_user=owner)
    deep = ProposalFactory(
        action_type="pricing.create_discount",
        division=division("sales"),
        args={"code": "SUMMER30", "percent_off": "30"},
    )
    ProposalFactory(action_type="pricing.create_discount", args={"code": "SUMMER15", "percent_off": "15"})
    markdown = ProposalFactory(action_type="pricing.set_markdown", args={"sku": "LA-220", "percent": 35})
    holds = rules.judge()
    assert [h.proposal for h in holds] == [deep, markdown]
    assert "owner" in holds[0].reason and "20%" in holds[0].reason and "30%" in holds[0].reason


def test_an_expired_preference_no_longer_holds():
    MemoryFactory(
        kind="preference",
        data={"max_discount_percent": 10},
        text="max 10% off",
        valid_until=timezone.now() - dt.timedelta(days=1),
    )
    ProposalFactory(action_type="pricing.create_discount", args={"code": "X30", "percent_off": "30"})
    assert rules.judge() == []


def test_the_briefing_lists_every_hold_with_its_reason_and_bundle(hearth_pot, skillet):
    from agents.orchestrator.selectors import held_json

    cover("HP-104", 6, 21, True)
    raise_ = raise_budget(hearth_pot, "300.00")
    pause = ProposalFactory(action_type="ads.pause_campaign", args={"campaign_id": hearth_pot.pk})
    assert held_json() == []
    rules.holds_apply(rules.judge(), ctx=orchestrator_context())
    (held,) = held_json()
    assert held["proposal"] == raise_.pk and held["bundled_with"] == [pause.pk]
    assert "6 days of cover" in held["reason"]
