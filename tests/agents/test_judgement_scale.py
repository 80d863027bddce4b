"""Judgement that scales with the shop: generated micro and large shops (brand.scenarios, loaded through the
importers) judged on their own terms, not on dollar thresholds; over-pace channels and e-mail history planted
and their harm scored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from agents.evaluation.score import _too_close_sends
from agents.models import Agent, AgentRun
from agents.orchestrator.headlines import campaign_wins
from agents.specialists.finance import BudgetGuard
from agents.specialists.growth import PaidMedia
from approvals.models import ProposedAction
from brand import models as bm
from brand.clock import brand_tz
from brand.metrics.finance import channel_pacing
from brand.metrics.operations import free_send_slot
from brand.scenarios import SCENARIOS, PlantKind, Shop, generate, load_shop
from memory.services import current
from tests.agents.orchestrator.factories import MemoryFactory, ProposalFactory
from tests.agents.specialists.gro_brand import TODAY, run_agent
from tests.factories import AdCampaignFactory, EmailCampaignFactory, SegmentFactory

pytestmark = pytest.mark.django_db

# The dollar bars paid media used to apply whatever the shop: $300 over 28 days and $200 over 7.
OLD_MIN_SPEND_7D = Decimal("200")


def _load(name: str, tmp_path: Path) -> Shop:
    scenario = next(s for s in SCENARIOS if s.name == name)
    shop = generate(scenario, TODAY - dt.timedelta(days=1), brand_tz())
    load_shop(shop, tmp_path)
    return shop


def _plant(shop: Shop, kind: PlantKind) -> str:
    return next(p.target for p in shop.plants if p.kind == kind)


def test_a_micro_shops_collapsing_campaign_is_judged_though_it_spends_tens_of_dollars(tmp_path):
    shop = _load("issue-case-exports-only-micro-s1", tmp_path)
    name = _plant(shop, PlantKind.COLLAPSE)
    campaign = bm.AdCampaign.objects.get(name=name)
    spend_7d = sum(a.spend for a in shop.ads if a.campaign.name == name and a.day > shop.end_date - dt.timedelta(7))
    assert spend_7d < OLD_MIN_SPEND_7D  # a dollar bar would have skipped it in silence
    _run, proposals = run_agent(PaidMedia.key)
    [cut] = [p for p in proposals if p.args.get("campaign_id") == campaign.pk]
    assert cut.action_type in ("ads.pause_campaign", "ads.set_daily_budget")
    assert "100.0% of the account's" in cut.rationale and "purchases over 28 days" in cut.rationale


def test_a_sliver_of_a_large_account_is_not_judged_and_the_run_says_why(tmp_path):
    shop = _load("healthy-large-large-s4", tmp_path)
    test = next(c for c in shop.campaigns if c.test)
    assert shop.roas(test.name, 7) < 0.5 * shop.roas(test.name, 28)  # its last week dipped by chance
    run, proposals = run_agent(PaidMedia.key)
    campaign = bm.AdCampaign.objects.get(name=test.name)
    assert not [p for p in proposals if p.args.get("campaign_id") == campaign.pk]
    said = current(f"campaign:{campaign.pk}:too_small_to_judge")
    assert said is not None and said.data["value"] < PaidMedia.defaults["min_spend_share"]
    assert "too little to judge" in said.text and "of the account's" in said.text and "min_spend_share" in said.text
    assert any(test.name in w and "too little to judge" in w for w in run.warnings)


def test_the_bar_is_configurable_per_brand(tmp_path):
    shop = _load("healthy-large-large-s4", tmp_path)
    test = next(c for c in shop.campaigns if c.test)
    run_agent(PaidMedia.key)  # syncs the agent row
    Agent.objects.filter(key=PaidMedia.key).update(config={"min_spend_share": 0.001})
    _run, proposals = run_agent(PaidMedia.key)
    campaign = bm.AdCampaign.objects.get(name=test.name)
    assert [p for p in proposals if p.args.get("campaign_id") == campaign.pk]


def test_the_win_of_the_day_needs_a_share_of_the_account_not_a_dollar_amount():
    small, big = AdCampaignFactory(name="Tiny Winner"), AdCampaignFactory(name="Main Line")
    for campaign, spend, revenue in ((small, "40", "400"), (big, "4000", "9000")):
        MemoryFactory(
            key=f"campaign:{campaign.pk}:roas_28d",
            kind="metric",
            data={"value": 1, "spend": spend, "revenue": revenue, "purchases": 30},
        )
    # 1% of the account at ROAS 10: too small a share to be the win; allowed when the brand lowers the bar.
    assert campaign_wins([], set()) == []
    [win] = campaign_wins([], set(), {"win_min_spend_share": 0.005})
    assert win.numbers["campaign"] == "Tiny Winner" and win.numbers["share_of_account"] == pytest.approx(0.01)
    assert "1% of the account's $4,040 ad spend" in win.text


def test_an_over_pace_channel_is_planted_with_numbers_finance_reads_back(tmp_path):
    shop = _load("over-pace-small-s1", tmp_path)
    channel = _plant(shop, PlantKind.OVER_PACE)
    truth = next(p for p in shop.plants if p.kind == PlantKind.OVER_PACE).numbers["pacing"]
    assert truth > 1.3
    pacing = {p.channel: p for p in channel_pacing(TODAY)}[channel]
    assert pacing.ratio == pytest.approx(truth, rel=0.01)
    _run, proposals = run_agent(BudgetGuard.key)
    capped = {p.args["campaign_id"] for p in proposals if p.action_type == "ads.set_daily_budget"}
    assert capped == set(bm.AdCampaign.objects.filter(channel=channel).values_list("pk", flat=True))


def test_without_campaign_budgets_finance_caps_what_the_campaigns_are_seen_to_spend(tmp_path):
    shop = _load("over-pace-exports-mid-s3", tmp_path)
    channel = _plant(shop, PlantKind.OVER_PACE)
    assert not bm.AdCampaign.objects.filter(daily_budget__gt=0).exists()
    _run, proposals = run_agent(BudgetGuard.key)
    assert proposals
    for p in proposals:
        campaign = bm.AdCampaign.objects.get(pk=p.args["campaign_id"])
        assert campaign.channel == channel
        assert "no daily budget on record" in p.rationale and Decimal(p.args["daily_budget"]) > 0


def test_e_mail_history_brings_consent_segments_and_sends(tmp_path):
    shop = _load("email-history-small-s1", tmp_path)
    consenting = bm.Customer.objects.filter(accepts_marketing=True).count()
    assert 0 < consenting < bm.Customer.objects.count()  # through the orders export's Accepts Marketing
    assert bm.Segment.objects.get(key="all-subscribers").customers.count() == consenting
    assert bm.EmailCampaign.objects.filter(status=bm.EmailStatus.SENT).count() >= 12
    # Sent last night and scheduled tomorrow 09:00: the next free morning is the day after tomorrow.
    slot = free_send_slot(TODAY, "lapsing-vip", earliest_days=1)
    assert slot.date() == TODAY + dt.timedelta(days=2)
    assert shop.plants and shop.scenario.email_history


def test_a_send_that_went_out_counts_for_the_next_free_slot():
    segment = SegmentFactory(key="regulars")
    tz = brand_tz()
    EmailCampaignFactory(
        segment=segment,
        status=bm.EmailStatus.SENT,
        scheduled_at=None,
        sent_at=dt.datetime.combine(TODAY, dt.time(14), tzinfo=tz),
    )
    slot = free_send_slot(TODAY, "regulars", earliest_days=1, hour=10)
    assert slot == dt.datetime.combine(TODAY + dt.timedelta(days=2), dt.time(10), tzinfo=tz)


def test_a_send_within_a_day_of_another_to_the_segment_is_harmful_unless_held():
    segment = SegmentFactory(key="lapsing-vip")
    tz = brand_tz()
    tomorrow = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(9), tzinfo=tz)
    EmailCampaignFactory(segment=segment, status=bm.EmailStatus.SCHEDULED, scheduled_at=tomorrow)

    def send(at: dt.datetime, hold: str = "") -> ProposedAction:
        return ProposalFactory(
            action_type="email.send_campaign",
            args={"segment": "lapsing-vip", "scheduled_at": at.isoformat()},
            hold_reason=hold,
        )

    close = send(tomorrow + dt.timedelta(hours=1))
    held = send(tomorrow + dt.timedelta(hours=2), hold="two messages to one segment within 24 hours")
    later = send(tomorrow + dt.timedelta(hours=25))
    found = _too_close_sends([close, held, later])
    assert [p.pk for p, _ in found] == [close.pk]
    assert found[0][1].endswith(f"at {tomorrow.astimezone(dt.UTC):%Y-%m-%d %H:%M}")


def test_the_run_warns_rather_than_drops_when_no_channel_budget_exists(tmp_path):
    _load("issue-case-exports-only-micro-s1", tmp_path)
    run, proposals = run_agent(BudgetGuard.key)
    assert proposals == [] and any("no channel budget" in w for w in AgentRun.objects.get(pk=run.pk).warnings)
