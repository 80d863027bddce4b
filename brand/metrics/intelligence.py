"""Intelligence analyses: week-over-week trends per product and category, and anomalies in the
daily revenue, orders and ad spend against their weekly pattern.

Selectors: `(today, config)` in, frozen dataclasses out, a constant number of queries whatever
the number of orders.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, IntegerField, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from brand.clock import brand_tz, day_start
from brand.metrics.figures import money
from brand.models import AdMetric, Order, OrderLine

ZERO = Decimal("0.00")
DEC = DecimalField(max_digits=18, decimal_places=2)

# --- trends ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    level: str  # "product" | "category"
    name: str  # the product's handle or the category (product type)
    title: str
    units_7d: int  # the last 7 brand days
    units_prev_7d: int  # the 7 before
    units_prev2_7d: int  # the 7 before those
    product_id: int | None = None

    @property
    def growth(self) -> float | None:
        """Week over week: 1.5 = up 150%."""
        return round(self.units_7d / self.units_prev_7d - 1, 4) if self.units_prev_7d else None

    @property
    def previous_growth(self) -> float | None:
        return round(self.units_prev_7d / self.units_prev2_7d - 1, 4) if self.units_prev2_7d else None

    @property
    def acceleration(self) -> float | None:
        """The change of the growth rate: positive when the trend speeds up."""
        if self.growth is None or self.previous_growth is None:
            return None
        return round(self.growth - self.previous_growth, 4)

    @property
    def z(self) -> float:
        """Significance of the change: given n = a + b units over two equal weeks, a ~ Binomial(n, 1/2)
        under "same rate" (two Poisson counts), so z = (a - b) / sqrt(a + b). This is the trend score."""
        n = self.units_7d + self.units_prev_7d
        return round((self.units_7d - self.units_prev_7d) / math.sqrt(n), 2) if n else 0.0

    def rising(self, config: dict[str, Any]) -> bool:
        return (
            self.units_7d >= int(config["min_units"])
            and self.growth is not None
            and self.growth >= float(config["min_growth"])
            and self.z >= float(config["min_z"])
        )


@dataclass(frozen=True)
class TrendReport:
    products: tuple[Trend, ...]
    categories: tuple[Trend, ...]


def trends(today: dt.date, config: dict[str, Any]) -> TrendReport:
    """Units per product in three consecutive 7-day windows ending yesterday, and the same per
    category (product type). Sorted by z, strongest rise first. 2 queries."""
    tz = brand_tz()
    w0, w1, w2, end = (day_start(today - dt.timedelta(days=d), tz) for d in (7, 14, 21, 0))

    def units(start: dt.datetime, stop: dt.datetime) -> Coalesce:
        flt = Q(order__created_at__gte=start, order__created_at__lt=stop)
        return Coalesce(Sum("quantity", filter=flt), 0, output_field=IntegerField())

    rows = (
        OrderLine.objects.filter(order__created_at__gte=w2, order__created_at__lt=end)
        .exclude(order__financial_status__iexact="voided")
        .values(
            "variant__product", "variant__product__handle", "variant__product__title", "variant__product__product_type"
        )
        .annotate(a=units(w0, end), b=units(w1, w0), c=units(w2, w1))
        .order_by("variant__product__handle")
    )
    products, by_category = [], defaultdict[str, list[int]](lambda: [0, 0, 0])
    for r in rows:
        products.append(
            Trend(
                level="product",
                name=r["variant__product__handle"],
                title=r["variant__product__title"],
                units_7d=r["a"],
                units_prev_7d=r["b"],
                units_prev2_7d=r["c"],
                product_id=r["variant__product"],
            )
        )
        if r["variant__product__product_type"]:
            totals = by_category[r["variant__product__product_type"]]
            totals[0] += r["a"]
            totals[1] += r["b"]
            totals[2] += r["c"]
    categories = [
        Trend(level="category", name=name, title=name, units_7d=a, units_prev_7d=b, units_prev2_7d=c)
        for name, (a, b, c) in by_category.items()
    ]
    return TrendReport(
        products=tuple(sorted(products, key=lambda t: t.z, reverse=True)),
        categories=tuple(sorted(categories, key=lambda t: t.z, reverse=True)),
    )


# --- anomalies ------------------------------------------------------------------------------------

METRICS = ("revenue", "orders", "spend", "ad_revenue")


@dataclass(frozen=True)
class Score:
    metric: str
    value: float
    median: float
    mad: float
    z: float  # robust z: 0.6745 x (value - median) / MAD
    baseline: tuple[float, ...]  # the same weekday of the previous weeks, most recent first


@dataclass(frozen=True)
class DayScores:
    day: dt.date
    scores: dict[str, Score]

    def z(self, metric: str) -> float:
        return self.scores[metric].z


@dataclass(frozen=True)
class Anomaly:
    day: dt.date
    kind: str  # "spend" (a spike with no matching revenue), "revenue" (a drop), "orders" (a drop)
    scores: dict[str, Score]

    @property
    def main(self) -> Score:
        return self.scores[self.kind]


def robust_score(metric: str, value: float, baseline: list[float], mad_floor: float) -> Score:
    """Median and MAD of the baseline; the MAD is floored at `mad_floor` x median (and 1 unit) so
    that a perfectly flat history does not turn every wobble into an infinite z."""
    median = statistics.median(baseline) if baseline else 0.0
    mad = statistics.median([abs(v - median) for v in baseline]) if baseline else 0.0
    scale = max(mad, mad_floor * abs(median), 1.0)
    return Score(
        metric=metric,
        value=round(value, 2),
        median=round(median, 2),
        mad=round(mad, 2),
        z=round(0.6745 * (value - median) / scale, 2),
        baseline=tuple(round(v, 2) for v in baseline),
    )


def daily_series(first: dt.date, last: dt.date) -> dict[dt.date, dict[str, float]]:
    """Revenue and orders (by brand date) and ad spend and ad revenue per day, zeros filled. 3 queries."""
    tz = brand_tz()
    series = {first + dt.timedelta(days=i): dict.fromkeys(METRICS, 0.0) for i in range((last - first).days + 1)}
    orders = (
        Order.objects.filter(
            created_at__gte=day_start(first, tz), created_at__lt=day_start(last, tz) + dt.timedelta(days=1)
        )
        .exclude(financial_status__iexact="voided")
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(revenue=Coalesce(Sum("total"), ZERO, output_field=DEC), orders=Count("pk"))
        .order_by("day")
    )
    for r in orders:
        if r["day"] in series:
            series[r["day"]].update(revenue=float(money(r["revenue"])), orders=float(r["orders"]))
    ads = (
        AdMetric.objects.filter(date__gte=first, date__lte=last)
        .values("date")
        .annotate(
            spend=Coalesce(Sum("spend"), ZERO, output_field=DEC),
            ad_revenue=Coalesce(Sum("revenue"), ZERO, output_field=DEC),
        )
        .order_by("date")
    )
    for a in ads:
        series[a["date"]].update(spend=float(money(a["spend"])), ad_revenue=float(money(a["ad_revenue"])))
    return series


@dataclass(frozen=True)
class AnomalyReport:
    days: tuple[DayScores, ...]  # the checked days, most recent first
    anomalies: tuple[Anomaly, ...]


def daily_anomalies(today: dt.date, config: dict[str, Any]) -> AnomalyReport:
    """Each of the last `check_days` brand days against the same weekday of the `baseline_weeks`
    weeks before it (robust z-score: median and MAD per weekday).

    Anomalies: a spend spike (z >= `z_threshold`) whose ad revenue and orders did not follow
    (their z below `follow_z`), a revenue drop, an orders drop (z <= -`z_threshold`).
    """
    weeks, check_days = int(config["baseline_weeks"]), int(config["check_days"])
    last = today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=check_days - 1 + 7 * weeks)
    series = daily_series(first, last)
    threshold, follow, floor = float(config["z_threshold"]), float(config["follow_z"]), float(config["mad_floor"])

    days, anomalies = [], []
    for offset in range(check_days):
        day = last - dt.timedelta(days=offset)
        same_weekdays = [day - dt.timedelta(days=7 * w) for w in range(1, weeks + 1)]
        scores = {
            metric: robust_score(metric, series[day][metric], [series[d][metric] for d in same_weekdays], floor)
            for metric in METRICS
        }
        days.append(DayScores(day=day, scores=scores))
        if (
            scores["spend"].z >= threshold
            and scores["ad_revenue"].z < follow
            and scores["orders"].z < follow
            # A spike matters relative to the shop's own norm for that weekday, not past a dollar amount.
            and scores["spend"].value - scores["spend"].median
            >= float(config["min_spend_excess_share"]) * scores["spend"].median
        ):
            anomalies.append(Anomaly(day=day, kind="spend", scores=scores))
        for metric in ("revenue", "orders"):
            if scores[metric].z <= -threshold:
                anomalies.append(Anomaly(day=day, kind=metric, scores=scores))
    return AnomalyReport(days=tuple(days), anomalies=tuple(anomalies))
