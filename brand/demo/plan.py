"""What the demo sets beside the exports, derived from the generated history: budgets and targets.

Kept apart from the ORM so that the pacing and forecast signals can be checked on the dataset
alone (fast, for every seed) and written by `brand.demo.records` unchanged.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from . import catalog as cat
from .generate import Dataset, money, month_start

# Month-to-date pacing through end_date, per channel: TikTok over-paces (the planted signal).
PACING = {"meta": Decimal("0.93"), "google": Decimal("0.90"), "tiktok": Decimal("1.30")}
FORECAST_SHORTFALL = Decimal("0.20")


def days_in_month(first: dt.date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def channel_spend(ds: Dataset) -> dict[tuple[str, dt.date], Decimal]:
    """Spend per (channel, day)."""
    spend: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    channel_of = {c[0]: c[1] for c in cat.CAMPAIGNS}
    for name, series in ds.ads.items():
        for day, metrics in series.items():
            spend[channel_of[name], day] += metrics.spend
    return spend


def channel_budgets(ds: Dataset) -> dict[tuple[str, dt.date], Decimal]:
    """Monthly budget per channel for every month of the history, and for today's month."""
    rng = random.Random(ds.seed * 7919 + 1)
    spend = channel_spend(ds)
    current = month_start(ds.end_date)
    budgets: dict[tuple[str, dt.date], Decimal] = {}
    months = sorted({month_start(day) for day in ds.days})
    for channel in ("meta", "google", "tiktok"):
        for month in months:
            days = [day for day in ds.days if month_start(day) == month]
            total = sum((spend[channel, day] for day in days), Decimal("0"))
            if month == current:
                # MTD spend = pacing x budget x elapsed / days in month, exactly.
                amount = total * days_in_month(month) / (len(days) * PACING[channel])
                budgets[channel, month] = money(amount)
            else:
                projected = total * days_in_month(month) / len(days)
                ran = Decimal(str(round(rng.uniform(0.93, 0.99), 3)))
                budgets[channel, month] = (projected / ran / 100).quantize(Decimal("1")) * 100
        today_month = month_start(ds.today)
        if today_month != current:
            budgets[channel, today_month] = budgets[channel, current]
    return budgets


def daily_revenue(ds: Dataset) -> dict[dt.date, Decimal]:
    revenue: dict[dt.date, Decimal] = defaultdict(Decimal)
    for order in ds.orders:
        revenue[ds.days[order.day]] += order.total()
    return revenue


def forecast_current_month(ds: Dataset) -> tuple[Decimal, Decimal]:
    """(month-to-date revenue, forecast of the rest of today's month).

    Revenue is the orders' Total (after discounts). The forecast gives each remaining day the
    average revenue of the same weekday over the last 14 days of history.
    """
    revenue = daily_revenue(ds)
    month = month_start(ds.today)
    mtd = sum((value for day, value in revenue.items() if month_start(day) == month), Decimal("0"))
    recent = [ds.end_date - dt.timedelta(days=i) for i in range(14)]
    by_weekday: dict[int, list[Decimal]] = defaultdict(list)
    for day in recent:
        by_weekday[day.weekday()].append(revenue.get(day, Decimal("0")))
    end = month.replace(day=days_in_month(month))
    forecast = Decimal("0")
    day = ds.today
    while day <= end:
        values = by_weekday[day.weekday()]
        forecast += sum(values, Decimal("0")) / len(values)
        day += dt.timedelta(days=1)
    return money(mtd), money(forecast)


def sales_targets(ds: Dataset) -> dict[dt.date, Decimal]:
    """A target per month: past months near what they did, today's month 20% above its outlook."""
    rng = random.Random(ds.seed * 7919 + 2)
    revenue = daily_revenue(ds)
    targets: dict[dt.date, Decimal] = {}
    current = month_start(ds.today)
    for month in sorted({month_start(day) for day in ds.days}):
        if month == current:
            continue
        days = [day for day in ds.days if month_start(day) == month]
        projected = sum((revenue[day] for day in days), Decimal("0")) * days_in_month(month) / len(days)
        ratio = Decimal(str(round(rng.uniform(0.96, 1.04), 3)))
        targets[month] = (projected * ratio / 1000).quantize(Decimal("1")) * 1000
    mtd, forecast = forecast_current_month(ds)
    targets[current] = money((mtd + forecast) / (1 - FORECAST_SHORTFALL))
    return targets
