"""The numbers an outcome check compares: ads, units, orders and stock over windows of brand days.

Read-only selectors, one aggregate query each: a check asks for a window of its item and of the
comparable items that separate the action's effect from the trend. A window is [start, end) in
brand days; `data_through` says up to which day the brand's data has arrived, so that a check on a
window the imports have not reached yet says "too early" instead of reading a gap as zero sales.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, Min, Q, Sum

from brand.clock import brand_tz, day_start
from brand.metrics.figures import money, safe_ratio
from brand.models import AdCampaign, AdMetric, CampaignStatus, Customer, Discount, Order, OrderLine, Variant

MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class AdWindow:
    days: int  # days with a metric row: a gap is missing data, not a day without spend
    spend: Decimal
    revenue: Decimal

    @property
    def roas(self) -> float | None:
        return safe_ratio(self.revenue, self.spend)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = brand_tz()
    return day_start(start, tz), day_start(end, tz)


def ad_window(*, campaign_ids: Iterable[int], start: dt.date, end: dt.date) -> AdWindow:
    """Spend and attributed revenue of some campaigns over [start, end)."""
    totals = AdMetric.objects.filter(campaign_id__in=list(campaign_ids), date__gte=start, date__lt=end).aggregate(
        spend=Sum("spend"), revenue=Sum("revenue"), days=Count("date", distinct=True)
    )
    return AdWindow(days=totals["days"] or 0, spend=money(totals["spend"]), revenue=money(totals["revenue"]))


def comparable_campaigns(campaign_id: int) -> list[int]:
    """The other live campaigns of the same channel, else of any channel: the market the campaign shares."""
    campaign = AdCampaign.objects.filter(pk=campaign_id).only("channel").first()
    others = AdCampaign.objects.exclude(pk=campaign_id).exclude(status=CampaignStatus.ARCHIVED)
    if campaign is not None:
        same = list(others.filter(channel=campaign.channel).values_list("pk", flat=True))
        if same:
            return same
    return list(others.values_list("pk", flat=True))


def ads_data_through() -> dt.date | None:
    """The last day with ad metrics of any campaign."""
    return AdMetric.objects.aggregate(last=Max("date"))["last"]


def orders_data_through() -> dt.date | None:
    """The brand day of the last order imported."""
    last = Order.objects.aggregate(last=Max("created_at"))["last"]
    return None if last is None else last.astimezone(brand_tz()).date()


def units_sold(*, skus: Iterable[str], start: dt.date, end: dt.date) -> tuple[int, Decimal]:
    """Units and line revenue of some SKUs over [start, end)."""
    since, until = _bounds(start, end)
    totals = OrderLine.objects.filter(
        variant__sku__in=list(skus), order__created_at__gte=since, order__created_at__lt=until
    ).aggregate(units=Sum("quantity"), revenue=Sum(F("price") * F("quantity"), output_field=MONEY))
    return int(totals["units"] or 0), money(totals["revenue"])


def comparable_skus(sku: str) -> list[str]:
    """Active SKUs of the same product type from other products: the demand the markdown did not touch."""
    variant = Variant.objects.filter(sku=sku).select_related("product").first()
    if variant is None or not variant.product.product_type:
        return []
    return list(
        Variant.objects.filter(is_active=True, product__product_type=variant.product.product_type)
        .exclude(product_id=variant.product_id)
        .values_list("sku", flat=True)
    )


def stock_of(sku: str) -> int | None:
    return Variant.objects.filter(sku=sku).values_list("stock", flat=True).first()


@dataclass(frozen=True)
class OrderWindow:
    orders: int
    revenue: Decimal
    with_codes: int  # orders that used one of the given discount codes


def segment_orders(
    *, segment_id: int, start: dt.date, end: dt.date, inside: bool = True, codes: Iterable[str] = ()
) -> OrderWindow:
    """Orders of the segment's customers (or, `inside=False`, of everyone else) over [start, end)."""
    since, until = _bounds(start, end)
    members = Customer.objects.filter(segments__id=segment_id).values("pk")
    qs = Order.objects.filter(created_at__gte=since, created_at__lt=until)
    qs = qs.filter(customer_id__in=members) if inside else qs.exclude(customer_id__in=members)
    codes = [c.upper() for c in codes]
    totals = qs.aggregate(
        orders=Count("pk"), revenue=Sum("total"), with_codes=Count("pk", filter=Q(discount_code__in=codes))
    )
    return OrderWindow(orders=totals["orders"] or 0, revenue=money(totals["revenue"]), with_codes=totals["with_codes"])


def codes_in(text: str) -> list[str]:
    """The brand's discount codes an e-mail's text mentions (what its orders would carry)."""
    upper = text.upper()
    return [code for code in Discount.objects.values_list("code", flat=True) if code and code.upper() in upper]


def first_stockouts(*, skus: Iterable[str], since: dt.datetime, until: dt.datetime) -> dict[str, dt.datetime]:
    """When each SKU first stood at zero stock (or below) in [since, until), from its recorded history."""
    rows = (
        Variant.history.filter(sku__in=list(skus), stock__lte=0, history_date__gte=since, history_date__lt=until)
        .values("sku")
        .annotate(first=Min("history_date"))
        .values_list("sku", "first")
    )
    return dict(rows)
