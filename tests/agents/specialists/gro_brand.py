"""A clean control brand for the growth, retention, creative and operations specialists.

`build_control_brand(today, scale=n)` writes a steady, healthy brand: regular customers who reorder
on time, monthly cohorts of first-time buyers with a stable repeat rate, campaigns with steady ROAS
and CTR below their budgets, SKUs with ample stock, sends spaced days apart. Nothing in it should
make a specialist fire; tests plant one signal on top of it and check that exactly that is found.
`scale` multiplies customers and orders (for the constant-query tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from brand import models as bm
from brand.selectors import brand_profile
from tests.factories import (
    AdCampaignFactory,
    AdMetricFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SegmentFactory,
    SupplierFactory,
    VariantFactory,
)

TODAY = dt.date(2026, 5, 20)
TZ_NAME = "America/New_York"


@dataclass
class ControlBrand:
    today: dt.date
    tz: ZoneInfo
    supplier: bm.Supplier
    variants: list[bm.Variant]
    campaigns: list[bm.AdCampaign]
    segments: dict[str, bm.Segment] = field(default_factory=dict)

    def at(self, day: dt.date, hour: int = 12) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz)

    def days_ago(self, n: int, hour: int = 12) -> dt.datetime:
        return self.at(self.today - dt.timedelta(days=n), hour)


_order_seq = [0]


def add_orders(brand: ControlBrand, specs: list[tuple[bm.Customer | None, dt.datetime, bm.Variant, int]]) -> None:
    """Bulk-write orders of one line each: (customer, created_at, variant, quantity)."""
    orders = []
    for customer, when, variant, qty in specs:
        _order_seq[0] += 1
        total = variant.price * qty
        orders.append(
            OrderFactory.build(
                name=f"#C{_order_seq[0]:07d}",
                customer=customer,
                email=customer.email if customer else "",
                created_at=when,
                paid_at=when,
                subtotal=total,
                total=total,
            )
        )
    bm.Order.objects.bulk_create(orders)
    lines = [
        OrderLineFactory.build(order=o, position=1, variant=v, name=v.product.title, quantity=q, price=v.price)
        for o, (_, _, v, q) in zip(orders, specs, strict=True)
    ]
    bm.OrderLine.objects.bulk_create(lines)


def add_metrics(campaign: bm.AdCampaign, days: range, today: dt.date, **values) -> None:
    """One AdMetric per day `n` days before today for n in `days`; values may be callables of n."""
    rows = []
    for n in days:
        resolved = {k: (v(n) if callable(v) else v) for k, v in values.items()}
        rows.append(AdMetricFactory.build(campaign=campaign, date=today - dt.timedelta(days=n), **resolved))
    bm.AdMetric.objects.bulk_create(rows)


def build_control_brand(today: dt.date = TODAY, *, scale: int = 1) -> ControlBrand:
    profile = brand_profile()
    profile.timezone = TZ_NAME
    profile.save()
    tz = ZoneInfo(TZ_NAME)
    supplier = SupplierFactory(name="Steady Supplies", lead_time_days=14)
    variants = [
        VariantFactory(
            product=ProductFactory(handle=f"steady-{i}", title=f"Steady Product {i}"),
            sku=f"ST-{i:03d}",
            price=Decimal("40.00"),
            cost=Decimal("20.00"),  # 50% margin: below the promotions threshold
            stock=2000 * scale,
            supplier=supplier,
        )
        for i in range(8)
    ]
    campaigns = []
    for i in range(3):
        campaign = AdCampaignFactory(
            name=f"Steady Campaign {i}", channel=bm.Channel.META, daily_budget=Decimal("100.00"), ad_copy="Cook more."
        )
        campaign.skus.set(variants[i * 2 : i * 2 + 2])
        campaigns.append(campaign)
        # ROAS 3 every day, 80% of the budget, CTR 1.5% on steady impressions.
        add_metrics(
            campaign,
            range(1, 36),
            today,
            spend=Decimal("80.00"),
            revenue=Decimal("240.00"),
            impressions=10000,
            clicks=150,
            purchases=6,
        )
    brand = ControlBrand(today=today, tz=tz, supplier=supplier, variants=variants, campaigns=campaigns)
    for key in ("all-subscribers", "vip", "first-time-buyers", "lapsing-vip"):
        brand.segments[key] = SegmentFactory(key=key, name=key.replace("-", " ").title())

    specs = []
    # Regular customers since long before the cohorts: every 30 days, the last one at most 29 days ago.
    for i in range(40 * scale):
        customer = CustomerFactory(email=f"regular{i}@example.com", created_at=brand.days_ago(400))
        last = 1 + (i * 7) % 29
        for k in range(6):
            specs.append((customer, brand.days_ago(last + 30 * k, hour=10 + i % 8), variants[i % 8], 1))
    # Monthly cohorts of first-time buyers over the last five months, one in four reordering a week later.
    for m in range(1, 6):
        month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        for _ in range(m - 1):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        for j in range(20 * scale):
            customer = CustomerFactory(email=f"new{m}-{j}@example.com", created_at=brand.at(month))
            first = brand.at(month + dt.timedelta(days=j % 28), hour=9 + j % 10)
            specs.append((customer, first, variants[j % 8], 1))
            if j % 4 == 0:
                specs.append((customer, first + dt.timedelta(days=7), variants[(j + 1) % 8], 1))
    add_orders(brand, specs)
    fill_segments(brand)

    # Two sends to the same segment, three days apart; a launch whose stock is there.
    for n, title in ((4, "Monthly Newsletter"), (7, "Recipe Ideas")):
        email = bm.EmailCampaign.objects.create(
            name=title,
            segment=brand.segments["all-subscribers"],
            subject=title,
            body_text="Hello",
            status=bm.EmailStatus.SCHEDULED,
            scheduled_at=brand.at(today + dt.timedelta(days=n), 10),
        )
        bm.CalendarItem.objects.create(
            title=title,
            kind=bm.CalendarKind.EMAIL,
            starts_at=email.scheduled_at,
            segment=email.segment,
            email_campaign=email,
        )
    bm.CalendarItem.objects.create(
        title="Steady Product 1 relaunch",
        kind=bm.CalendarKind.LAUNCH,
        starts_at=brand.at(today + dt.timedelta(days=5), 9),
        variant=variants[1],
    )
    return brand


def fill_segments(brand: ControlBrand) -> None:
    """The shop's standing segments hold their customers, as a shop's own would; the lapsing VIPs
    are left to the churn watch, which builds them."""
    from django.db.models import Count

    counts = bm.Customer.objects.annotate(n=Count("orders"))
    members = {
        "all-subscribers": bm.Customer.objects.filter(accepts_marketing=True),
        "vip": counts.filter(n__gte=4),
        "first-time-buyers": counts.filter(n=1),
    }
    for key, customers in members.items():
        segment = brand.segments[key]
        segment.customers.set(customers)
        segment.built_at = brand.at(brand.today, 6)
        segment.save(update_fields=["built_at"])


def run_agent(
    key: str,
    today: dt.date = TODAY,
    *,
    intent_text: str | None = None,
    feedback: tuple[object, str] | None = None,
):
    """Run one registered specialist for brand day `today` (in a finished cycle of its own); its run and proposals."""
    from agents.models import Cycle, CycleStatus, Intent
    from agents.runtime import registry
    from agents.runtime.services import agent_run_create, agent_run_execute
    from approvals.models import ProposedAction
    from tests.factories import UserFactory

    registry.sync_agents()
    cycle = Cycle.objects.create(brand_date=today, scope=key, status=CycleStatus.DONE, trigger="test")
    intent = None
    if intent_text is not None:
        intent = Intent.objects.create(text=intent_text, user=UserFactory(username="growth_director"))
    context = {}
    if feedback is not None:
        proposal, comment = feedback
        context = {"feedback": {"proposal_id": proposal.pk, "comment": comment}}
    run = agent_run_create(agent_key=key, trigger="manual", cycle=cycle, intent=intent, context=context)
    run = agent_run_execute(run_id=run.pk)
    assert run.status == "succeeded", f"{key} failed: {run.error}\n{run.traceback}"
    return run, list(ProposedAction.objects.filter(agent_run=run).order_by("pk"))


def add_more_history(brand: ControlBrand, *, customers: int = 60) -> None:
    """More of the same healthy data (customers, orders, SKUs, campaigns, sends): for the constant-query tests."""
    specs = []
    extra = [
        VariantFactory(
            product=ProductFactory(handle=f"more-{i}", title=f"More Product {i}"),
            sku=f"MO-{i:03d}",
            price=Decimal("40.00"),
            cost=Decimal("20.00"),
            stock=5000,
            supplier=brand.supplier,
        )
        for i in range(6)
    ]
    for i in range(customers):
        customer = CustomerFactory(email=f"more{i}@example.com", created_at=brand.days_ago(400))
        for k in range(5):
            specs.append((customer, brand.days_ago(1 + (i % 25) + 30 * k), extra[i % 6], 2))
    add_orders(brand, specs)
    for i in range(4):
        campaign = AdCampaignFactory(name=f"More Campaign {i}", daily_budget=Decimal("100.00"))
        campaign.skus.set(extra[i : i + 1])
        add_metrics(campaign, range(1, 36), brand.today, spend=Decimal("70.00"), revenue=Decimal("210.00"))
    for n in (10, 14):
        bm.CalendarItem.objects.create(
            title=f"More news {n}",
            kind=bm.CalendarKind.EMAIL,
            starts_at=brand.at(brand.today + dt.timedelta(days=n), 10),
            segment=brand.segments["vip"],
        )


def count_queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)
