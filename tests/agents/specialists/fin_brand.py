"""A clean control brand for the finance, product, sales and intelligence specialists, and the
helpers that plant one signal at a time in it.

The control brand sells steadily with a weekly pattern for 10 weeks: every product refunds about
5% of its orders, the one discount code is profitable, every channel paces at 90% of its budget,
stock covers about 30 days, no PO waits, and the month's target is within reach. None of the
eight specialists should fire on it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from brand import models as bm
from tests.factories import (
    AdCampaignFactory,
    AdMetricFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SupplierFactory,
    VariantFactory,
)

TZ = "America/New_York"
# Brand "today" (a Thursday, mid-month so that the month has days behind and ahead); the data
# ends the day before.
TODAY = dt.date(2025, 3, 20)
HISTORY_DAYS = 70
# Orders per weekday (Monday first): weekends sell more.
WEEKLY = (6, 6, 6, 6, 8, 11, 9)
_order_numbers = itertools.count(1)

CATALOGUE = [
    # sku, handle, title, product type, price, cost
    ("KN-100", "chef-knife", "Chef Knife", "Cutlery", "80.00", "30.00"),
    ("MG-200", "stoneware-mug", "Stoneware Mug", "Tableware", "20.00", "6.00"),
    ("TW-300", "tea-towel", "Tea Towel", "Linen", "15.00", "5.00"),
    ("PL-400", "dinner-plate", "Dinner Plate", "Tableware", "30.00", "10.00"),
    ("BW-500", "serving-bowl", "Serving Bowl", "Tableware", "25.00", "8.00"),
    ("SP-600", "wooden-spoon", "Wooden Spoon", "Cutlery", "10.00", "3.00"),
]
CAMPAIGNS = [
    ("Meta Evergreen", bm.Channel.META, "100.00"),
    ("Meta Prospecting", bm.Channel.META, "80.00"),
    ("Google Search", bm.Channel.GOOGLE, "60.00"),
    ("TikTok Spark", bm.Channel.TIKTOK, "50.00"),
    ("TikTok Creators", bm.Channel.TIKTOK, "30.00"),
]


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment of a brand day, in the brand's timezone."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(TZ))


def set_brand_timezone(tz: str = TZ) -> bm.BrandProfile:
    profile, _ = bm.BrandProfile.objects.update_or_create(pk=1, defaults={"timezone": tz, "name": "Control & Co"})
    return profile


@dataclass
class OrderBatch:
    """Orders collected in memory and written with two bulk inserts: the builders create thousands."""

    orders: list[bm.Order] = field(default_factory=list)
    lines: list[list[tuple[bm.Variant, int, Decimal]]] = field(default_factory=list)

    def add(
        self,
        customer: bm.Customer,
        when: dt.datetime,
        items: list[tuple[bm.Variant, int]],
        *,
        code: str = "",
        percent_off: Decimal = Decimal(0),
        refunded: bool = False,
    ) -> None:
        gross = sum((v.price * q for v, q in items), Decimal("0.00"))
        discount = (gross * percent_off / 100).quantize(Decimal("0.01"))
        total = gross - discount
        self.orders.append(
            OrderFactory.build(
                name=f"#C{next(_order_numbers):07d}",
                customer=customer,
                email=customer.email,
                created_at=when,
                paid_at=when,
                subtotal=total,
                total=total,
                discount_code=code,
                discount_amount=discount,
                refunded_amount=total if refunded else Decimal("0.00"),
                financial_status="refunded" if refunded else "paid",
            )
        )
        self.lines.append([(v, q, v.price) for v, q in items])

    def save(self) -> list[bm.Order]:
        orders = bm.Order.objects.bulk_create(self.orders)
        if orders and orders[0].pk is None:  # SQLite before 3.35 does not return ids; look them up
            by_name = dict(bm.Order.objects.filter(name__in=[o.name for o in orders]).values_list("name", "pk"))
            for o in orders:
                o.pk = o.id = by_name[o.name]
        bm.OrderLine.objects.bulk_create(
            OrderLineFactory.build(order=order, position=i, variant=v, name=v.product.title, quantity=q, price=p)
            for order, items in zip(orders, self.lines, strict=True)
            for i, (v, q, p) in enumerate(items, start=1)
        )
        self.orders, self.lines = [], []
        return orders


@dataclass
class ControlBrand:
    today: dt.date
    variants: dict[str, bm.Variant]
    campaigns: dict[str, bm.AdCampaign]
    customers: list[bm.Customer]
    budgets: dict[str, bm.ChannelBudget]
    target: bm.SalesTarget
    supplier: bm.Supplier

    @property
    def end_date(self) -> dt.date:
        return self.today - dt.timedelta(days=1)


def build_control_brand(today: dt.date = TODAY, *, scale: int = 1) -> ControlBrand:
    """The clean brand: `scale` multiplies the number of orders (for the constant-query tests)."""
    set_brand_timezone()
    supplier = SupplierFactory(name="Steady Supply", lead_time_days=14, payment_terms_days=30)
    end_date = today - dt.timedelta(days=1)
    first = end_date - dt.timedelta(days=HISTORY_DAYS - 1)
    daily_units = {sku: 0.0 for sku, *_ in CATALOGUE}
    variants = {}
    for sku, handle, title, ptype, price, cost in CATALOGUE:
        product = ProductFactory(handle=handle, title=title, product_type=ptype)
        variants[sku] = VariantFactory(
            product=product, sku=sku, price=Decimal(price), cost=Decimal(cost), stock=0, supplier=supplier
        )
    customers = [CustomerFactory(email=f"regular{i}@example.com") for i in range(40)]
    bm.Discount.objects.create(code="SPRING10", percent_off=Decimal("10"))

    sell_history(variants, customers, first, end_date, scale=scale, daily_units=daily_units)
    for sku, variant in variants.items():
        variant.stock = max(int(daily_units[sku] * 30), 5)  # about 30 days of cover
        variant.save(update_fields=["stock"])

    campaigns = {}
    metrics = []
    for name, channel, budget in CAMPAIGNS:
        campaign = AdCampaignFactory(name=name, channel=channel, daily_budget=Decimal(budget))
        campaigns[name] = campaign
        for offset in range(HISTORY_DAYS):
            day = first + dt.timedelta(days=offset)
            spend = (campaign.daily_budget * Decimal("0.9")).quantize(Decimal("0.01"))
            metrics.append(
                AdMetricFactory.build(
                    campaign=campaign, date=day, spend=spend, revenue=spend * 3, impressions=10000, clicks=150
                )
            )
    bm.AdMetric.objects.bulk_create(metrics)

    month = end_date.replace(day=1)
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    budgets = {}
    for channel in (bm.Channel.META, bm.Channel.GOOGLE, bm.Channel.TIKTOK):
        daily = sum(Decimal(b) for _, c, b in CAMPAIGNS if c == channel)
        budgets[channel] = bm.ChannelBudget.objects.create(channel=channel, month=month, amount=daily * days_in_month)

    # A target the brand is on course for: the last four weeks' pace over the whole month, less 3%.
    last_28 = bm.Order.objects.filter(
        created_at__gte=at(end_date - dt.timedelta(days=27), 0), created_at__lt=at(today, 0)
    ).aggregate(s=Sum("total"))["s"]
    target_amount = Decimal(str(last_28)) / 28 * calendar.monthrange(today.year, today.month)[1] * Decimal("0.97")
    target = bm.SalesTarget.objects.create(month=today.replace(day=1), revenue=target_amount.quantize(Decimal("1")))

    # A confirmed PO: money already committed, not a draft waiting.
    po = bm.PurchaseOrder.objects.create(number="PO-CTRL-1", supplier=supplier, status=bm.POStatus.CONFIRMED)
    bm.PurchaseOrderLine.objects.create(
        purchase_order=po, variant=variants["KN-100"], quantity=20, unit_cost=Decimal("30.00")
    )
    return ControlBrand(
        today=today,
        variants=variants,
        campaigns=campaigns,
        customers=customers,
        budgets=budgets,
        target=target,
        supplier=supplier,
    )


def sell_history(
    variants: dict[str, bm.Variant],
    customers: list[bm.Customer],
    first: dt.date,
    last: dt.date,
    *,
    scale: int = 1,
    daily_units: dict[str, float] | None = None,
) -> None:
    """The steady pattern: WEEKLY orders a day x scale, products in turn, 5% refunded, 1 in 10 with SPRING10."""
    batch = OrderBatch()
    skus = list(variants)
    per_product = dict.fromkeys(skus, 0)
    days = (last - first).days + 1
    n = 0
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for k in range(WEEKLY[day.weekday()] * scale):
            sku = skus[n % len(skus)]
            per_product[sku] += 1
            qty = 2 if n % 3 == 0 else 1
            if daily_units is not None:
                daily_units[sku] += qty / days
            coded = n % 10 == 4
            batch.add(
                customers[n % len(customers)],
                at(day, 9 + k % 12, (7 * k) % 60),
                [(variants[sku], qty)],
                code="SPRING10" if coded else "",
                percent_off=Decimal("10") if coded else Decimal(0),
                refunded=per_product[sku] % 20 == 7,  # 5% of every product's orders
            )
            n += 1
    batch.save()


def grow(brand: ControlBrand, scale: int) -> None:
    """More orders of the same shape over the same history: the same signals, a bigger database."""
    first = brand.end_date - dt.timedelta(days=HISTORY_DAYS - 1)
    sell_history(brand.variants, brand.customers, first, brand.end_date, scale=scale)


def run_specialist(key: str, today: dt.date = TODAY, *, intent: str = "", user=None, feedback: dict | None = None):
    """Run one specialist for a brand day, synchronously, as the cycle would; returns the AgentRun."""
    from agents.models import Cycle, CycleStatus, Intent, RunTrigger
    from agents.runtime import registry
    from agents.runtime.services import agent_run_create, agent_run_execute

    registry.sync_agents()
    cycle = Cycle.objects.create(brand_date=today, scope=f"test:{key}:{next(_order_numbers)}", status=CycleStatus.DONE)
    intent_row = None
    if intent:
        from tests.factories import UserFactory

        intent_row = Intent.objects.create(text=intent, user=user or UserFactory(username="asker"), agent_keys=[key])
    context = {}
    if feedback:
        context = {"feedback": {"comment": feedback["comment"], "proposal_id": feedback["proposal"].pk}}
    run = agent_run_create(
        agent_key=key,
        trigger=RunTrigger.REVISION if feedback else RunTrigger.MANUAL,
        cycle=cycle,
        intent=intent_row,
        context=context,
    )
    return agent_run_execute(run_id=run.pk)


def new_variant(sku: str, handle: str, title: str, *, price: str, cost: str, stock: int = 100, **kw) -> bm.Variant:
    product = ProductFactory(handle=handle, title=title, product_type=kw.pop("product_type", "Kitchen"))
    return VariantFactory(product=product, sku=sku, price=Decimal(price), cost=Decimal(cost), stock=stock, **kw)


def sell_daily(
    brand: ControlBrand,
    variant: bm.Variant,
    units_by_day: dict[dt.date, int],
    *,
    refunded_every: int = 0,
    code: str = "",
    percent_off: Decimal = Decimal(0),
) -> list[bm.Order]:
    """One order of one unit per unit sold on each day (so that refunds and codes count per order)."""
    batch = OrderBatch()
    n = 0
    for day, units in sorted(units_by_day.items()):
        for k in range(units):
            n += 1
            batch.add(
                brand.customers[n % len(brand.customers)],
                at(day, 8 + k % 14, (11 * k) % 60),
                [(variant, 1)],
                code=code,
                percent_off=percent_off,
                refunded=bool(refunded_every) and n % refunded_every == 0,
            )
    return batch.save()
