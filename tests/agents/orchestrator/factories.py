"""Rows the orchestrator's tests need: proposals (built directly, without an action type), memory
entries, and the demo brand's names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from agents.models import Agent, AgentKind, AgentRun
from agents.runtime.context import RunContext
from approvals.models import Category, ProposedAction, Status
from memory.models import MemoryEntry
from tests import factories as f
from tests.factories import division


class ProposalFactory(factory.django.DjangoModelFactory):
    """A pending proposal as approvals would store it; the orchestrator reads, never executes, these."""

    class Meta:
        model = ProposedAction

    action_type = "ads.set_daily_budget"
    category = Category.SPEND
    division = factory.LazyFunction(lambda: division("growth"))
    agent_key = "growth.paid_media"
    title = factory.LazyAttribute(lambda o: o.action_type)
    args = factory.LazyFunction(dict)
    rationale = "Because the numbers say so."
    money_at_stake = Decimal("100.00")
    confidence = 0.7
    status = Status.PENDING
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=48))


class MemoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemoryEntry

    kind = "observation"
    text = "A fact."
    data = factory.LazyFunction(dict)
    author_label = "test"
    valid_from = factory.LazyFunction(timezone.now)


def orchestrator_run(**kw: object) -> AgentRun:
    return agent_run("orchestrator", **kw)


def orchestrator_context(**kw: object) -> RunContext:
    """The context of a fresh orchestrator run, as the runtime builds it, for rules applied in tests."""
    from agents.orchestrator.agent import Orchestrator
    from brand.clock import brand_today

    run = orchestrator_run(**kw)
    now = timezone.now()
    return RunContext(run=run, agent=run.agent, impl=Orchestrator(), config={}, today=brand_today(), now=now)


def agent_run(key: str, **kw: object) -> AgentRun:
    """A run of any agent, registered or not, to author memory and proposals in tests."""
    slug = key.split(".", 1)[0]
    kind = AgentKind.ORCHESTRATOR if key == "orchestrator" else AgentKind.SPECIALIST
    agent, _ = Agent.objects.get_or_create(
        key=key, defaults={"kind": kind, "name": key, "division": None if key == "orchestrator" else division(slug)}
    )
    return AgentRun.objects.create(agent=agent, **kw)


def fact(key: str, text: str, data: dict, *, by: str = "operations.inventory", kind: str = "metric") -> MemoryEntry:
    """A keyed fact written the way an agent writes it (through memory.services.remember)."""
    from memory.services import remember

    return remember(key=key, text=text, data=data, kind=kind, author_run=agent_run(by), division=by.split(".")[0])


def demo_names() -> dict[str, object]:
    """The demo brand's names the eval set uses (docs/demo-signals.md), plus some neighbours as noise."""
    from brand import models as bm

    ironworks = f.SupplierFactory(name="Ironworks Foundry", lead_time_days=21)
    copper = f.SupplierFactory(name="Copper & Co", lead_time_days=30)
    linen = f.SupplierFactory(name="Linen House", lead_time_days=14)
    products = [
        ("HP-104", "Cast Iron Skillet 10in", "", ironworks),
        ("HP-112", "Cast Iron Skillet 12in", "", ironworks),
        ("HP-310", "Enamel Roasting Pan", "", ironworks),
        ("HP-220", "Dutch Oven 5qt", "", ironworks),
        ("GK-150", "Glass Kettle", "Blue", copper),
        ("GK-151", "Glass Kettle", "Clear", copper),
        ("CB-500", "Cold Brew Maker", "", copper),
        ("CP-410", "Copper Saucepan", "", copper),
        ("LA-220", "Linen Apron", "Sage", linen),
        ("LA-221", "Linen Apron", "Charcoal", linen),
        ("LT-300", "Linen Tea Towels", "Set of 3", linen),
    ]
    variants = {}
    for sku, title, variant_title, supplier in products:
        product = f.ProductFactory(handle=f"{title.lower().replace(' ', '-')}", title=title)
        variants[sku] = f.VariantFactory(sku=sku, product=product, title=variant_title, supplier=supplier)
    campaigns = {}
    for name, channel in [
        ("Spring Glow - Prospecting", bm.Channel.META),
        ("Evergreen - Retargeting", bm.Channel.GOOGLE),
        ("Hearth Pot - Always On", bm.Channel.META),
        ("Cozy Nights - Video", bm.Channel.META),
        ("Kitchen Staples - Search", bm.Channel.GOOGLE),
        ("Brew Season - TikTok", bm.Channel.TIKTOK),
    ]:
        campaigns[name] = f.AdCampaignFactory(name=name, channel=channel)
    segments = {
        key: f.SegmentFactory(key=key, name=name)
        for key, name in [
            ("all-subscribers", "All subscribers"),
            ("vip", "VIP"),
            ("first-time-buyers", "First-time buyers"),
            ("lapsing-vip", "Lapsing VIP"),
        ]
    }
    for name in ("VIP Early Access", "VIP Restock Alert"):
        f.EmailCampaignFactory(name=name, segment=segments["vip"], status=bm.EmailStatus.SCHEDULED)
    for code, pct in [("WELCOME40", 40), ("SPRING10", 10), ("THANKYOU15", 15)]:
        bm.Discount.objects.get_or_create(code=code, defaults={"percent_off": Decimal(pct)})
    return {"variants": variants, "campaigns": campaigns, "segments": segments}
