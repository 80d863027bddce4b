"""finance.budget_guard: month-to-date pacing per channel, and daily budget caps on the channel that overspends."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.finance import BudgetGuard
from approvals.models import ProposedAction
from brand import models as bm
from brand.metrics.finance import channel_pacing
from memory.services import current
from tests.agents.specialists.fin_brand import TODAY, build_control_brand, run_specialist

# TODAY is 2025-03-20: March 1..19 elapsed (19 of 31 days), 12 days left. Every control campaign
# spends 90% of its daily budget; TikTok's two campaigns (50 + 30 a day) spent 0.9 x 80 x 19 = 1,368.
TIKTOK_MTD = Decimal("1368.00")


def plant_tiktok_at_130(brand) -> None:
    """A TikTok budget set so that 1,368 spent after 19 days is 130% of the prorated budget."""
    budget = brand.budgets[bm.Channel.TIKTOK]
    budget.amount = Decimal("1716.92")  # 1368 / (1.3 x 19 / 31)
    budget.save()


def test_control_brand_paces_at_90_percent_and_nothing_is_capped(db):
    brand = build_control_brand()
    pacing = {p.channel: p for p in channel_pacing(TODAY)}
    assert {c: p.ratio for c, p in pacing.items()} == {"google": 0.9, "meta": 0.9, "tiktok": 0.9}
    assert pacing["tiktok"].mtd_spend == TIKTOK_MTD
    assert (pacing["tiktok"].days_elapsed, pacing["tiktok"].days_in_month, pacing["tiktok"].days_left) == (19, 31, 12)

    run = run_specialist(BudgetGuard.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()
    entry = current("channel:tiktok:pacing")
    assert entry.data["value"] == 0.9 and entry.data["mtd_spend"] == 1368.0
    assert entry.data["budget"] == float(brand.budgets["tiktok"].amount)


def test_tiktok_pacing_at_130_percent_gets_its_campaigns_capped(db):
    brand = build_control_brand()
    plant_tiktok_at_130(brand)
    tiktok = {p.channel: p for p in channel_pacing(TODAY)}["tiktok"]
    assert tiktok.ratio == 1.3
    assert tiktok.remaining == Decimal("348.92")
    assert tiktok.daily_allowance == Decimal("29.07")  # 348.92 / 12 days, rounded down

    run = run_specialist(BudgetGuard.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposals = ProposedAction.objects.filter(action_type="ads.set_daily_budget").order_by("-priority")
    caps = {p.args["campaign_id"]: Decimal(p.args["daily_budget"]) for p in proposals}
    # Both campaigns scaled by 29.07 / 80: the channel lands on its budget by March 31.
    assert caps == {
        brand.campaigns["TikTok Spark"].pk: Decimal("18.16"),
        brand.campaigns["TikTok Creators"].pk: Decimal("10.90"),
    }
    top = proposals[0]
    assert top.division.slug == "finance" and top.agent_key == BudgetGuard.key
    assert "pacing at 130%" in top.rationale
    assert "$1,368 spent of a $1,716.92 monthly budget" in top.rationale
    assert "$29.07 a day" in top.rationale
    entry = current("channel:tiktok:pacing")
    assert entry.data["value"] == 1.3
    assert list(top.evidence.all()) == [entry]


def test_a_second_run_does_not_propose_the_same_caps_again(db):
    brand = build_control_brand()
    plant_tiktok_at_130(brand)
    run_specialist(BudgetGuard.key)
    run_specialist(BudgetGuard.key)
    assert ProposedAction.objects.filter(action_type="ads.set_daily_budget").count() == 2


def test_a_send_back_with_an_amount_revises_the_cap(db, finance_approver):
    from approvals.services import proposal_send_back

    brand = build_control_brand()
    plant_tiktok_at_130(brand)
    run_specialist(BudgetGuard.key)
    spark = ProposedAction.objects.get(args__campaign_id=brand.campaigns["TikTok Spark"].pk)
    proposal_send_back(proposal=spark, user=finance_approver, comment="Too deep: cap it at $25 a day")
    spark.refresh_from_db()
    run = run_specialist(BudgetGuard.key, feedback={"comment": "Too deep: cap it at $25 a day", "proposal": spark})
    assert run.status == RunStatus.SUCCEEDED, run.error
    revision = ProposedAction.objects.get(revision_of=spark)
    assert revision.args == {"campaign_id": brand.campaigns["TikTok Spark"].pk, "daily_budget": "25.00"}
    assert "Revised as asked" in revision.rationale


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    with CaptureQueriesContext(connection) as small:
        channel_pacing(TODAY)
    more = [
        bm.AdCampaign.objects.create(name=f"Extra {i}", channel=bm.Channel.META, daily_budget=Decimal("10"))
        for i in range(5)
    ]
    bm.AdMetric.objects.bulk_create(
        bm.AdMetric(campaign=c, date=brand.end_date.replace(day=d), spend=Decimal("9"))
        for c in more
        for d in range(1, 20)
    )
    with CaptureQueriesContext(connection) as big:
        channel_pacing(TODAY)
    assert len(small) == len(big) == 2
