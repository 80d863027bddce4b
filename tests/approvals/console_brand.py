"""A small built brand for the console's tests (page and browser): a morning with a win, a risk and an
opportunity, each with drafted work, and a proposal of another division. Seconds, not the demo."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from agents.models import Briefing, BriefingItem, ItemKind
from approvals.models import ProposedAction
from approvals.services import proposal_create
from brand.clock import brand_today
from brand.models import PurchaseOrderLine
from tests.factories import AdCampaignFactory, PurchaseOrderFactory, VariantFactory, division

from .factories import budget_proposal


@dataclass
class Morning:
    briefing: Briefing
    win: ProposedAction  # growth: raise Evergreen 120 -> 150
    risk: ProposedAction  # growth: cut Spring Glow 200 -> 100
    finance: ProposedAction  # another division's work


def build_morning() -> Morning:
    evergreen = AdCampaignFactory(name="Evergreen - Retargeting", daily_budget=Decimal("120.00"))
    spring = AdCampaignFactory(name="Spring Glow - Prospecting", daily_budget=Decimal("200.00"))
    tiktok = AdCampaignFactory(name="TikTok - Always On", daily_budget=Decimal("90.00"))
    win = budget_proposal(
        evergreen, "150.00", rationale="Returns 5.2x and spends its whole budget daily.", priority=67.19
    )
    risk = budget_proposal(spring, "100.00", rationale="ROAS fell from 2.4 to 0.8 in the last week.", priority=40)
    finance = budget_proposal(tiktok, "60.00", division="finance", rationale="Pacing at 130% of the month.")
    briefing = Briefing.objects.create(
        brand_date=brand_today(),
        narrative="Good morning. Evergreen is a winner held back by its budget.",
        drafted_by="offline",
    )
    growth = division("growth")
    items = [
        BriefingItem.objects.create(
            briefing=briefing,
            kind=ItemKind.WIN,
            division=growth,
            title="Evergreen - Retargeting is earning 5.2x",
            text="It spends its whole budget every day.",
            numbers={
                "campaign": "Evergreen - Retargeting",
                "roas_28d": 5.21,
                "revenue_28d": "17472.00",
                "spend_28d": "3360.00",
            },
        ),
        BriefingItem.objects.create(
            briefing=briefing,
            kind=ItemKind.RISK,
            division=growth,
            title="Spring Glow - Prospecting fell to 0.8x",
            text="A week under target.",
            numbers={"roas_7d": 0.8, "spend_7d": "1400.00"},
        ),
        BriefingItem.objects.create(
            briefing=briefing,
            kind=ItemKind.OPPORTUNITY,
            title="The Cold Brew Maker sold 2.5 times more this week",
            text="Nothing promotes it yet.",
            numbers={"sku": "CB-500", "units_7d": 50, "units_prev_7d": 20, "growth": 1.5},
        ),
    ]
    items[0].proposals.set([win])
    items[1].proposals.set([risk])
    return Morning(briefing=briefing, win=win, risk=risk, finance=finance)


def po_proposal(total: str = "18392.00", number: str = "PO-RISK-1") -> ProposedAction:
    """Finance's drafted purchase order to confirm: above the four-eyes amount and the daily ad cap."""
    po = PurchaseOrderFactory(number=number)
    PurchaseOrderLine.objects.create(purchase_order=po, variant=VariantFactory(), quantity=1, unit_cost=Decimal(total))
    return proposal_create(
        action_type="po.confirm",
        args={"po": po.number},
        division="finance",
        rationale="The best-seller runs out in 6 days.",
        agent_key="finance.po_desk",
    )
