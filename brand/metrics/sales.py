"""Sales analyses: a revenue forecast with weekly seasonality against the month's target, and
the uplift and margin of each discount code.

Selectors: `(today, config)` in, frozen dataclasses out, a constant number of queries whatever
the number of orders.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractWeekDay, Upper

from brand.clock import brand_tz, day_start, month_start
from brand.metrics.figures import money, safe_ratio
from brand.models import Discount, Order, OrderLine, SalesTarget

DEC = DecimalField(max_digits=18, decimal_places=2)
ZERO = Decimal("0.00")


def revenue_orders() -> QuerySet[Order]:
    """The orders that count as revenue: everything but voided orders."""
    return Order.objects.exclude(financial_status__iexact="voided")


def django_weekday(day: dt.date) -> int:
    """ExtractWeekDay's numbering: 1 = Sunday .. 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


# --- forecast -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastDay:
    day: dt.date
    revenue: Decimal


@dataclass(frozen=True)
class SalesForecast:
    today: dt.date
    month: dt.date
    target_id: int | None
    target: Decimal | None
    mtd_revenue: Decimal  # first of the month .. yesterday
    level: Decimal  # average daily revenue of the last `level_days` brand days
    weekday_factors: dict[int, float]  # Python weekday (Monday = 0) -> factor, averaging 1
    next_days: tuple[ForecastDay, ...]  # the `horizon_days` forecast from today
    rest_of_month: tuple[ForecastDay, ...]  # today .. the last day of the month
    forecast_rest: Decimal
    projected: Decimal  # mtd + forecast_rest

    @property
    def forecast_horizon(self) -> Decimal:
        return sum((d.revenue for d in self.next_days), ZERO)

    @property
    def gap(self) -> Decimal | None:
        return None if self.target is None else self.projected - self.target

    @property
    def gap_ratio(self) -> float | None:
        """(projected - target) / target: -0.2 = 20% short of the target."""
        return None if self.target is None else round(safe_ratio(self.projected - self.target, self.target) or 0, 4)


def sales_forecast(today: dt.date, config: dict[str, Any]) -> SalesForecast:
    """Revenue for the rest of the month: level x weekday factor, against the month's SalesTarget.

    level = average daily revenue of the last `level_days` (28) brand days; weekday factors =
    the average revenue of each weekday over the last `season_weeks` (8) weeks divided by the
    average day of those weeks. Revenue = order totals (voided orders left out). One aggregate
    grouped by weekday gives the level, the factors and the month to date; 3 queries in all.
    """
    tz = brand_tz()
    level_days = int(config["level_days"])
    season_days = 7 * int(config["season_weeks"])
    month = month_start(today)
    mtd_start = day_start(month, tz)  # on the first of the month: today's start, so month to date is empty
    end = day_start(today, tz)
    season_start = day_start(today - dt.timedelta(days=season_days), tz)
    level_start = day_start(today - dt.timedelta(days=level_days), tz)
    first = min(season_start, level_start, mtd_start)

    rows = (
        revenue_orders()
        .filter(created_at__gte=first, created_at__lt=end)
        .annotate(weekday=ExtractWeekDay("created_at", tzinfo=tz))
        .values("weekday")
        .annotate(
            season=Coalesce(Sum("total", filter=Q(created_at__gte=season_start)), ZERO, output_field=DEC),
            level=Coalesce(Sum("total", filter=Q(created_at__gte=level_start)), ZERO, output_field=DEC),
            mtd=Coalesce(Sum("total", filter=Q(created_at__gte=mtd_start)), ZERO, output_field=DEC),
        )
        .order_by("weekday")
    )
    season = {r["weekday"]: money(r["season"]) for r in rows}
    level_total = sum((money(r["level"]) for r in rows), ZERO)
    mtd = sum((money(r["mtd"]) for r in rows), ZERO)

    season_total = sum(season.values(), ZERO)
    season_days_by_weekday = {w: 0 for w in range(1, 8)}
    for offset in range(1, season_days + 1):
        season_days_by_weekday[django_weekday(today - dt.timedelta(days=offset))] += 1
    average_day = season_total / season_days if season_days else ZERO
    factors: dict[int, float] = {}
    for py_weekday in range(7):
        day_of_week = (py_weekday + 1) % 7 + 1
        count = season_days_by_weekday[day_of_week]
        mean = season.get(day_of_week, ZERO) / count if count else ZERO
        factors[py_weekday] = round(float(mean / average_day), 4) if average_day else 1.0
    level = money(level_total / level_days) if level_days else ZERO

    def forecast(days: int) -> tuple[ForecastDay, ...]:
        return tuple(
            ForecastDay(day=d, revenue=money(level * Decimal(str(factors[d.weekday()]))))
            for d in (today + dt.timedelta(days=i) for i in range(days))
        )

    days_in_month = calendar.monthrange(today.year, today.month)[1]
    rest = forecast(days_in_month - today.day + 1)
    forecast_rest = sum((d.revenue for d in rest), ZERO)
    target = SalesTarget.objects.filter(month=month).first()
    return SalesForecast(
        today=today,
        month=month,
        target_id=target.pk if target else None,
        target=money(target.revenue) if target else None,
        mtd_revenue=mtd,
        level=level,
        weekday_factors=factors,
        next_days=forecast(int(config["horizon_days"])),
        rest_of_month=rest,
        forecast_rest=forecast_rest,
        projected=mtd + forecast_rest,
    )


# --- discounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodePerformance:
    code: str
    discount_id: int | None  # None: a code seen on orders that Atlas has no Discount row for
    status: str
    percent_off: Decimal | None
    orders: int
    gross: Decimal  # line revenue before the discount
    discount: Decimal
    cogs: Decimal  # units x variant cost
    aov: Decimal  # (gross - discount) / orders
    full_price_aov: Decimal  # the same for orders without a code
    full_price_margin_rate: float | None

    @property
    def net(self) -> Decimal:
        return self.gross - self.discount

    @property
    def margin(self) -> Decimal:
        """Gross margin after the discount: revenue - discount - cost of goods."""
        return self.gross - self.discount - self.cogs

    @property
    def margin_rate(self) -> float | None:
        return None if not self.net else round(float(self.margin / self.net), 4)

    @property
    def uplift(self) -> float | None:
        """AOV with the code against full-price orders: +0.12 = baskets 12% larger."""
        return None if not self.full_price_aov else round(float(self.aov / self.full_price_aov) - 1, 4)


def discount_performance(today: dt.date, config: dict[str, Any]) -> list[CodePerformance]:
    """Every discount code used in the last `window_days` brand days, with its margin after discount.

    Order-level figures (count, discount) and line-level figures (gross, cost of goods) are two
    aggregates, so that joining the lines does not repeat an order's discount. Sorted by margin,
    worst first. 4 queries.
    """
    tz = brand_tz()
    start, end = day_start(today - dt.timedelta(days=int(config["window_days"])), tz), day_start(today, tz)
    # Shopify codes are case-insensitive: "welcome40" and "WELCOME40" are one code.
    orders = {
        r["code"]: r
        for r in revenue_orders()
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(code=Upper("discount_code"))
        .values("code")
        .annotate(orders=Count("pk"), discount=Coalesce(Sum("discount_amount"), ZERO, output_field=DEC))
        .order_by()
    }
    lines = {
        r["code"]: r
        for r in OrderLine.objects.filter(order__created_at__gte=start, order__created_at__lt=end)
        .exclude(order__financial_status__iexact="voided")
        .annotate(code=Upper("order__discount_code"))
        .values("code")
        .annotate(
            gross=Coalesce(Sum(ExpressionWrapper(F("quantity") * F("price"), output_field=DEC)), ZERO),
            cogs=Coalesce(Sum(ExpressionWrapper(F("quantity") * F("variant__cost"), output_field=DEC)), ZERO),
        )
        .order_by()
    }
    discounts = {d.code.upper(): d for d in Discount.objects.all()}

    # A typed empty row, so a missing code reads as zero whatever the row's typed shape.
    no_row: dict[str, Any] = {}
    full_orders = orders.get("", no_row).get("orders", 0)
    full_gross = money(lines.get("", no_row).get("gross"))
    full_net = full_gross - money(orders.get("", no_row).get("discount"))
    full_aov = money(full_net / full_orders) if full_orders else ZERO
    full_margin_rate = (
        round(float((full_net - money(lines.get("", no_row).get("cogs"))) / full_net), 4) if full_net else None
    )

    result = []
    for code, row in orders.items():
        if not code:
            continue
        line = lines.get(code, no_row)
        gross, discount = money(line.get("gross")), money(row["discount"])
        found = discounts.get(code)
        result.append(
            CodePerformance(
                code=found.code if found else code,
                discount_id=found.pk if found else None,
                status=found.status if found else "",
                percent_off=found.percent_off if found else None,
                orders=row["orders"],
                gross=gross,
                discount=discount,
                cogs=money(line.get("cogs")),
                aov=money((gross - discount) / row["orders"]),
                full_price_aov=full_aov,
                full_price_margin_rate=full_margin_rate,
            )
        )
    return sorted(result, key=lambda c: (c.margin_rate if c.margin_rate is not None else 0.0, c.code))
