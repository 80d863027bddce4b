"""Product analyses: slow movers (stock against velocity), and refund rates by product.

Selectors: `(today, config)` in, frozen dataclasses out, a constant number of queries whatever
the number of orders.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q

from brand.clock import brand_tz, days_window
from brand.metrics.expressions import units_by_variant
from brand.metrics.figures import money, safe_ratio
from brand.models import OrderLine, Variant

# --- assortment: slow movers ----------------------------------------------------------------------


@dataclass(frozen=True)
class SlowMover:
    variant_id: int
    sku: str
    handle: str
    title: str  # "Linen Apron - Sage"
    stock: int
    units: int  # sold in the window
    window_days: int
    daily_rate: float
    days_of_cover: float  # math.inf when nothing sold
    price: Any  # Decimal
    cost: Any  # Decimal | None
    units_7d: int = 0
    recent_daily_rate: float = 0.0
    best_seller: bool = False  # top decile of the catalogue by units or by revenue in the window

    @property
    def recent_cover(self) -> float:
        return self.stock / self.recent_daily_rate if self.recent_daily_rate else math.inf

    @property
    def cover_label(self) -> str:
        return "no sale in the window" if math.isinf(self.days_of_cover) else f"{self.days_of_cover:,.0f} days"


def slow_movers(today: dt.date, config: dict[str, Any]) -> list[SlowMover]:
    """Active SKUs with at least `min_stock` units whose days of cover exceed `min_days_of_cover`.

    Days of cover = stock / (units sold in the last `window_days` brand days / window_days).
    SKUs already marked down (compare-at price above the price) are left out: a markdown is live.
    Sorted by the stock value at risk (stock x cost), largest first. 3 queries (the brand's
    timezone, the SKUs, the units sold per SKU in the window).
    """
    window = int(config["window_days"])
    tz = brand_tz()
    start, end = days_window(today, window, tz)
    recent_start, _ = days_window(today, 7, tz)
    rows = (
        Variant.objects.filter(is_active=True, stock__gte=int(config["min_stock"]))
        .exclude(compare_at_price__gt=F("price"))
        .values("pk", "sku", "title", "stock", "price", "cost", "product__handle", "product__title")
        .order_by("sku")
    )
    sold = units_by_variant(start, end)
    recent = units_by_variant(recent_start, end)
    top_units, top_revenue = _top_decile(sold)
    found = []
    for row in rows:
        units = sold.get(row["pk"], 0)
        rate = units / window
        cover = row["stock"] / rate if rate else math.inf
        if cover <= float(config["min_days_of_cover"]):
            continue
        title = row["product__title"] + (f" - {row['title']}" if row["title"] else "")
        found.append(
            SlowMover(
                variant_id=row["pk"],
                sku=row["sku"],
                handle=row["product__handle"],
                title=title,
                stock=row["stock"],
                units=units,
                window_days=window,
                daily_rate=round(rate, 4),
                days_of_cover=round(cover, 1) if rate else math.inf,
                price=money(row["price"]),
                cost=money(row["cost"]) if row["cost"] is not None else None,
                units_7d=recent.get(row["pk"], 0),
                recent_daily_rate=round(recent.get(row["pk"], 0) / 7, 4),
                best_seller=units > 0 and (units >= top_units or units * row["price"] >= top_revenue),
            )
        )
    return sorted(found, key=lambda s: s.stock * (s.cost or s.price), reverse=True)


def _top_decile(sold: dict[int, int]) -> tuple[int, Any]:
    """The units and the revenue a SKU needs to sit in the top tenth of the active catalogue (at least one SKU)."""
    prices = dict(Variant.objects.filter(is_active=True).values_list("pk", "price"))
    units = sorted((sold.get(pk, 0) for pk in prices), reverse=True)
    revenue = sorted((sold.get(pk, 0) * price for pk, price in prices.items()), reverse=True)
    if not units:
        return 0, 0
    k = max(1, math.ceil(len(units) / 10)) - 1
    return max(units[k], 1), max(revenue[k], 1)


# --- returns: refund rate by product --------------------------------------------------------------


@dataclass(frozen=True)
class ProductReturns:
    level: str  # "variant" (a SKU: "Glass Kettle - Blue") or "product" (all its variants)
    product_id: int
    handle: str
    sku: str  # "" at the product level
    variant_id: int | None
    title: str
    orders: int  # orders in the window with it
    refunded: int  # of which refunded (in part or in full)
    rate: float
    rest_orders: int
    rest_refunded: int
    rest_rate: float  # refund rate of the others' orders
    ratio: float | None  # rate / rest_rate
    z: float  # one-sample binomial z against the rest's rate

    def flagged(self, config: dict[str, Any]) -> bool:
        return (
            self.orders >= int(config["min_orders"])
            and self.refunded >= int(config["min_refunds"])
            and (self.ratio or 0) >= float(config["min_ratio"])
            and self.z >= float(config["min_z"])
        )


def refund_rates(today: dt.date, config: dict[str, Any], *, level: str = "variant") -> list[ProductReturns]:
    """Refund rate of every SKU (or product) sold in the last `window_days` brand days, against the rest.

    Refunds are recorded per order, so an order refunded in part counts as refunded for each of its
    lines. A colourway can be the faulty one ("Glass Kettle - Blue"), hence SKUs by default.
    Sorted by z, highest first. 2 queries.
    """
    start, end = days_window(today, int(config["window_days"]), brand_tz())
    group = ["variant__product", "variant__product__handle", "variant__product__title"]
    if level == "variant":
        group += ["variant", "variant__sku", "variant__title"]
    rows = list(
        OrderLine.objects.filter(order__created_at__gte=start, order__created_at__lt=end)
        .values(*group)
        .annotate(
            orders=Count("order", distinct=True),
            refunded=Count("order", distinct=True, filter=Q(order__refunded_amount__gt=0)),
        )
        .order_by(*group[1:2], *group[4:5])
    )
    total_orders = sum(r["orders"] for r in rows)
    total_refunded = sum(r["refunded"] for r in rows)
    result = []
    for r in rows:
        rest_orders = total_orders - r["orders"]
        rest_refunded = total_refunded - r["refunded"]
        rest_rate = safe_ratio(rest_refunded, rest_orders) or 0.0
        rate = safe_ratio(r["refunded"], r["orders"]) or 0.0
        # Floor the baseline so that a catalogue with no refunds at all does not divide by zero.
        p0 = min(max(rest_rate, 0.005), 0.995)
        z = (r["refunded"] - r["orders"] * p0) / math.sqrt(r["orders"] * p0 * (1 - p0))
        variant_title = r.get("variant__title") or ""
        result.append(
            ProductReturns(
                level=level,
                product_id=r["variant__product"],
                handle=r["variant__product__handle"],
                sku=r.get("variant__sku", ""),
                variant_id=r.get("variant"),
                title=r["variant__product__title"] + (f" - {variant_title}" if variant_title else ""),
                orders=r["orders"],
                refunded=r["refunded"],
                rate=round(rate, 4),
                rest_orders=rest_orders,
                rest_refunded=rest_refunded,
                rest_rate=round(rest_rate, 4),
                ratio=round(rate / rest_rate, 2) if rest_rate else None,
                z=round(z, 2),
            )
        )
    return sorted(result, key=lambda p: p.z, reverse=True)
