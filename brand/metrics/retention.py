"""Retention's analyses: RFM and lapsing VIPs; the 30-day second-order rate of monthly cohorts.

Per-customer figures (orders, spend, first and last order, spend percentile) come from one grouped
query with a window function; only the VIP rows that come back are classified in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, PercentRank

from brand.clock import add_months, brand_tz, day_start, month_start
from brand.models import Customer, Order, OrderLine

MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- churn watch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VipCustomer:
    customer_id: int
    email: str
    orders: int
    spend: Decimal
    first_order_at: dt.datetime
    last_order_at: dt.datetime
    days_since_last: float

    @property
    def interval_days(self) -> float:
        """Their usual reorder interval: the span of their orders over the gaps between them."""
        return (self.last_order_at - self.first_order_at).total_seconds() / 86400 / max(1, self.orders - 1)

    @property
    def lapse_ratio(self) -> float:
        return self.days_since_last / self.interval_days if self.interval_days else 0.0


@dataclass(frozen=True)
class ChurnFindings:
    customers_with_orders: int
    vips: list[VipCustomer]
    lapsing: list[VipCustomer]
    spend_threshold: Decimal | None  # the lowest spend among the VIPs (top decile)

    @property
    def lapsing_spend(self) -> Decimal:
        return sum((c.spend for c in self.lapsing), Decimal("0"))

    @property
    def median_interval(self) -> float | None:
        values = sorted(c.interval_days for c in self.lapsing)
        return values[len(values) // 2] if values else None

    @property
    def median_days_since(self) -> float | None:
        values = sorted(c.days_since_last for c in self.lapsing)
        return values[len(values) // 2] if values else None


def churn_analysis(today: dt.date, config: dict[str, Any], *, product_ids: list[int] | None = None) -> ChurnFindings:
    """VIPs (>= min_orders and top `vip_top_fraction` spend) past `lapse_factor` x their usual interval.

    With `product_ids` (a request that names products), the lapsing cohort is the lapsing VIPs who
    ever bought one of them; the VIPs are still ranked among all customers.
    """
    tz = brand_tz()
    now = day_start(today, tz)
    per_customer = (
        Customer.objects.filter(orders__created_at__lt=now)
        .annotate(
            n=Count("orders"),
            spend=Coalesce(Sum("orders__total"), Value(Decimal("0")), output_field=MONEY),
            first_at=Min("orders__created_at"),
            last_at=Max("orders__created_at"),
        )
        # Share of customers who spent strictly more: ties at the top all rank 0.
        .annotate(spend_rank=Window(PercentRank(), order_by=F("spend").desc()))
    )
    fields = ["pk", "email", "n", "spend", "first_at", "last_at"]
    if product_ids:
        # A column, not a WHERE: filtering before the window would rank the spend among these buyers only.
        bought = OrderLine.objects.filter(
            order__customer=OuterRef("pk"), order__created_at__lt=now, variant__product_id__in=product_ids
        )
        per_customer = per_customer.annotate(bought=Exists(bought))
        fields.append("bought")
    # The order-count rule is applied in Python: a HAVING would run before the window and rank
    # the spend among the frequent buyers only, not among all customers.
    min_orders = int(config["min_orders"])
    rows = [
        r
        for r in per_customer.filter(spend_rank__lt=float(config["vip_top_fraction"])).values(*fields)
        if r["n"] >= min_orders
    ]
    buyers = {r["pk"] for r in rows if r.get("bought")}
    total = Customer.objects.filter(orders__created_at__lt=now).distinct().count()
    vips = [
        VipCustomer(
            customer_id=r["pk"],
            email=r["email"],
            orders=r["n"],
            spend=r["spend"],
            first_order_at=r["first_at"],
            last_order_at=r["last_at"],
            days_since_last=(now - r["last_at"]).total_seconds() / 86400,
        )
        for r in rows
    ]
    lapse, cap = float(config["lapse_factor"]), float(config["max_lapse_factor"])
    min_interval = float(config["min_interval_days"])
    lapsing = [
        c
        for c in vips
        if c.interval_days >= min_interval
        and lapse < c.lapse_ratio <= cap
        and (not product_ids or c.customer_id in buyers)
    ]
    lapsing.sort(key=lambda c: -c.spend)
    return ChurnFindings(
        customers_with_orders=total,
        vips=vips,
        lapsing=lapsing,
        spend_threshold=min((c.spend for c in vips), default=None),
    )


# --- lifecycle ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    month: dt.date
    buyers: int
    repeaters: int

    @property
    def rate(self) -> float | None:
        return self.repeaters / self.buyers if self.buyers else None


@dataclass(frozen=True)
class LifecycleFindings:
    latest: Cohort
    previous: list[Cohort]  # the cohorts before it, newest first
    window_days: int

    @property
    def baseline_rate(self) -> float | None:
        rates = [c.rate for c in self.previous if c.rate is not None]
        return sum(rates) / len(rates) if rates else None

    @property
    def drop_ratio(self) -> float | None:
        base = self.baseline_rate
        return self.latest.rate / base if base and self.latest.rate is not None else None


def lifecycle_analysis(today: dt.date, config: dict[str, Any]) -> LifecycleFindings:
    """Second-order rate within `window_days` of first-time buyers, by month of their first order.

    The latest complete cohort is the calendar month before today's; it is compared with the
    `baseline_months` before it. One query: each customer's first and second order come from
    correlated subqueries, grouped by the brand-time month of the first.
    """
    tz = brand_tz()
    window = int(config["window_days"])
    baseline_months = int(config["baseline_months"])
    latest_month = add_months(month_start(today), -1)
    first_month = add_months(latest_month, -baseline_months)
    orders = Order.objects.filter(customer=OuterRef("pk")).order_by("created_at", "pk").values("created_at")
    months = [add_months(first_month, i) for i in range(baseline_months + 1)]
    starts = [day_start(m, tz) for m in [*months, month_start(today)]]
    # The cohort is the brand-time month of the first order, found by comparing with each month's
    # start (an aware datetime): plain SQL, where TruncMonth with a time zone would call back into
    # Python for every customer on SQLite.
    cohort_of = Case(
        *[When(first_at__lt=starts[i + 1], then=Value(i)) for i in range(len(months))], output_field=IntegerField()
    )
    rows = (
        Customer.objects.annotate(first_at=Subquery(orders[:1]), second_at=Subquery(orders[1:2]))
        .filter(first_at__gte=starts[0], first_at__lt=starts[-1])
        .annotate(cohort=cohort_of)
        .values("cohort")
        .annotate(
            buyers=Count("pk"),
            repeaters=Count("pk", filter=Q(second_at__lte=F("first_at") + dt.timedelta(days=window))),
        )
        .order_by("cohort")
    )
    by_month: dict[dt.date, Cohort] = {}
    for r in rows:
        month = months[r["cohort"]]
        by_month[month] = Cohort(month=month, buyers=r["buyers"], repeaters=r["repeaters"])

    def cohort(month: dt.date) -> Cohort:
        return by_month.get(month, Cohort(month=month, buyers=0, repeaters=0))

    return LifecycleFindings(
        latest=cohort(latest_month),
        previous=[cohort(add_months(latest_month, -i)) for i in range(1, baseline_months + 1)],
        window_days=window,
    )
