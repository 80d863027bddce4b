"""A small brand day with the shapes the orchestrator looks for: a stock-out under a campaign that
paid media wants to scale, a strong retargeting campaign, a win-back send, a pacing channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from approvals.models import Category, ProposedAction
from brand import models as bm
from brand.clock import brand_today
from tests import factories as f
from tests.agents.orchestrator.factories import ProposalFactory, fact
from tests.factories import division


@dataclass
class Day:
    today: dt.date
    raise_hearth: ProposedAction
    po: ProposedAction
    pause: ProposedAction
    raise_evergreen: ProposedAction
    winback: ProposedAction
    report: ProposedAction


def build_day() -> Day:
    today = brand_today()
    ironworks = f.SupplierFactory(name="Ironworks Foundry", lead_time_days=21)
    skillet = f.VariantFactory(
        sku="HP-104",
        product=f.ProductFactory(handle="cast-iron-skillet", title="Cast Iron Skillet 10in"),
        supplier=ironworks,
        price=Decimal("50.00"),
        stock=60,
    )
    pan = f.VariantFactory(sku="HP-310", product=f.ProductFactory(handle="roasting-pan", title="Enamel Roasting Pan"))
    hearth = f.AdCampaignFactory(name="Hearth Pot - Always On", channel=bm.Channel.META, daily_budget=Decimal("200"))
    hearth.skus.add(skillet)
    evergreen = f.AdCampaignFactory(
        name="Evergreen - Retargeting", channel=bm.Channel.GOOGLE, daily_budget=Decimal("100")
    )
    evergreen.skus.add(pan)
    for days_ago in range(1, 29):
        day = today - dt.timedelta(days=days_ago)
        f.AdMetricFactory(campaign=evergreen, date=day, spend=Decimal("100"), revenue=Decimal("600"))
        f.AdMetricFactory(campaign=hearth, date=day, spend=Decimal("200"), revenue=Decimal("900"))
        order = f.OrderFactory(created_at=timezone.now() - dt.timedelta(days=days_ago), total=Decimal("500"))
        f.OrderLineFactory(order=order, variant=skillet, quantity=10, price=Decimal("50.00"), position=1)
    fact(
        "sku:HP-104:days_of_cover",
        "HP-104 has 6 days of cover; Ironworks Foundry needs 21.",
        {"value": 6, "lead_time_days": 21, "runs_out_before_delivery": True, "units_28d": 280},
    )
    # What paid media wrote about the two campaigns: the orchestrator reads it, it does not recompute.
    fact(
        f"campaign:{evergreen.pk}:roas_28d",
        "Evergreen - Retargeting: 28-day ROAS 6.0x on $2,800 spend",
        {"value": 6.0, "spend": "2800.00", "revenue": "16800.00"},
        by="growth.paid_media",
    )
    fact(
        f"campaign:{hearth.pk}:roas_28d",
        "Hearth Pot - Always On: 28-day ROAS 4.5x on $5,600 spend",
        {"value": 4.5, "spend": "5600.00", "revenue": "25200.00"},
        by="growth.paid_media",
    )
    raise_hearth = ProposalFactory(
        args={"campaign_id": hearth.pk, "daily_budget": "300.00"},
        title="Raise the daily budget of Hearth Pot - Always On",
        money_at_stake=Decimal("700"),
    )
    po = ProposalFactory(
        action_type="po.create",
        division=division("operations"),
        agent_key="operations.inventory",
        category=Category.SPEND,
        title="Order 500 x HP-104 from Ironworks Foundry",
        args={"supplier_id": ironworks.pk, "lines": [{"sku": "HP-104", "quantity": 500, "unit_cost": "16.00"}]},
        money_at_stake=Decimal("8000"),
        confidence=0.9,
    )
    pause = ProposalFactory(
        action_type="ads.pause_campaign",
        title="Pause Hearth Pot - Always On",
        args={"campaign_id": hearth.pk},
        money_at_stake=Decimal("0"),
        confidence=0.8,
    )
    raise_evergreen = ProposalFactory(
        args={"campaign_id": evergreen.pk, "daily_budget": "150.00"},
        title="Raise the daily budget of Evergreen - Retargeting",
        money_at_stake=Decimal("350"),
        confidence=0.8,
    )
    lapsing = f.SegmentFactory(key="lapsing-vip", name="Lapsing VIP")
    email = f.EmailCampaignFactory(name="We miss you", segment=lapsing)
    winback = ProposalFactory(
        action_type="email.send_campaign",
        category=Category.MESSAGE,
        division=division("retention"),
        agent_key="retention.churn_watch",
        title="Send 'We miss you' to Lapsing VIP",
        args={"email_campaign_id": email.pk},
        money_at_stake=Decimal("0"),
        confidence=0.6,
    )
    estimate = fact(
        "segment:lapsing-vip:value",
        "34 lapsing VIPs, $4,800 a year",
        {"value": 34, "expected_revenue": 4800},
        by="retention.churn_watch",
        kind="insight",
    )
    winback.evidence.add(estimate)
    # What proposal_create stores for a send citing this estimate (approvals.valuing).
    winback.value_at_stake, winback.value_kind = Decimal("4800.00"), "expected revenue"
    winback.value_basis = f"memory #{estimate.pk}: {estimate.subject}"
    winback.save(update_fields=["value_at_stake", "value_kind", "value_basis"])
    report = ProposalFactory(
        action_type="report.publish",
        category=Category.INTERNAL,
        division=division("sales"),
        title="Publish the forecast report",
        money_at_stake=Decimal("0"),
    )
    return Day(today, raise_hearth, po, pause, raise_evergreen, winback, report)
