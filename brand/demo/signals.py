"""The sixteen planted signals, measured from the database after loading (for `atlas_demo --json`).

The numbers are the key facts a person would check: the SKU's days of cover, the campaign's two
ROAS figures, the channel's pacing... Windows are whole brand days ending with end_date.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, Sum

from .. import models as bm
from . import catalog as cat
from .generate import TZ, month_start, previous_month
from .plan import days_in_month
from .records import PO_NUMBER, VIP_EARLY_ACCESS, VIP_RESTOCK_ALERT


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ)


def _orders_between(first: dt.date, last: dt.date) -> Q:
    return Q(created_at__gte=_at(first), created_at__lt=_at(last + dt.timedelta(days=1)))


def _lines_between(first: dt.date, last: dt.date) -> Q:
    return Q(order__created_at__gte=_at(first), order__created_at__lt=_at(last + dt.timedelta(days=1)))


def _roas(name: str, first: dt.date, last: dt.date) -> dict[str, float]:
    agg = bm.AdMetric.objects.filter(campaign__name=name, date__range=(first, last)).aggregate(
        spend=Sum("spend"), revenue=Sum("revenue"), impressions=Sum("impressions"), clicks=Sum("clicks")
    )
    spend = float(agg["spend"] or 0)
    return {
        "spend": round(spend, 2),
        "roas": round(float(agg["revenue"] or 0) / spend, 3) if spend else 0.0,
        "impressions": agg["impressions"] or 0,
        "ctr": (agg["clicks"] or 0) / agg["impressions"] if agg["impressions"] else 0.0,
    }


def _units(sku: str, first: dt.date, last: dt.date) -> int:
    return (
        bm.OrderLine.objects.filter(_lines_between(first, last), variant__sku=sku).aggregate(n=Sum("quantity"))["n"]
        or 0
    )


def measure_signals(end_date: dt.date) -> list[dict[str, Any]]:
    end = end_date
    today = end + dt.timedelta(days=1)
    d7, d14, d28 = (end - dt.timedelta(days=n - 1) for n in (7, 14, 28))
    p7_first, p7_last = end - dt.timedelta(days=13), end - dt.timedelta(days=7)
    signals: list[dict[str, Any]] = []

    def add(number: int, specialist: str, name: str, **facts: Any) -> None:
        signals.append({"id": number, "specialist": specialist, "name": name, "facts": facts})

    glow7, glow28 = _roas(cat.SPRING_GLOW, d7, end), _roas(cat.SPRING_GLOW, d28, end)
    add(1, "growth.paid_media", cat.SPRING_GLOW, roas_7d=glow7["roas"], roas_28d=glow28["roas"],
        spend_7d=glow7["spend"])  # fmt: skip

    evergreen = bm.AdCampaign.objects.get(name=cat.EVERGREEN)
    min_spend = bm.AdMetric.objects.filter(campaign=evergreen, date__range=(d14, end)).aggregate(m=Min("spend"))["m"]
    add(2, "growth.paid_media", cat.EVERGREEN, roas_28d=_roas(cat.EVERGREEN, d28, end)["roas"],
        min_budget_use_14d=round(float(min_spend / evergreen.daily_budget), 3))  # fmt: skip

    units28 = dict(
        bm.OrderLine.objects.filter(_lines_between(d28, end))
        .values("variant__sku")
        .annotate(n=Sum("quantity"))
        .values_list("variant__sku", "n")
    )
    all_units = sorted(units28.get(sku, 0) for sku in bm.Variant.objects.values_list("sku", flat=True))
    pan = bm.Variant.objects.get(sku=cat.ROASTING_PAN)
    if pan.cost is None:
        raise ValueError(f"demo variant {pan.sku} has no cost: its margin signal needs one")
    add(3, "growth.promotions", f"{cat.ROASTING_PAN} Enamel Roasting Pan",
        margin=round(float((pan.price - pan.cost) / pan.price), 3), units_28d=units28.get(pan.sku, 0),
        top_quartile_from=all_units[int(0.75 * (len(all_units) - 1))],
        active_campaigns=pan.campaigns.filter(status=bm.CampaignStatus.ACTIVE).count())  # fmt: skip

    spend = dict(bm.Customer.objects.annotate(s=Sum("orders__total")).values_list("pk", "s"))
    ranked = sorted(float(v or 0) for v in spend.values())
    top_decile = ranked[int(0.9 * (len(ranked) - 1))]
    lapsing = []
    for row in bm.Customer.objects.annotate(n=Count("orders"), first=Min("orders__created_at"),
                                            last=Max("orders__created_at")).filter(n__gte=4):  # fmt: skip
        interval = (row.last - row.first).total_seconds() / 86400 / (row.n - 1)
        gap = (_at(today) - row.last).total_seconds() / 86400
        if float(spend[row.pk] or 0) >= top_decile and gap > 1.5 * interval:
            lapsing.append(gap)
    add(4, "retention.churn_watch", "lapsing VIP cohort", customers=len(lapsing),
        gap_days=[round(min(lapsing, default=0)), round(max(lapsing, default=0))])  # fmt: skip

    latest = previous_month(month_start(today))
    cohorts = [latest]
    for _ in range(3):
        cohorts.append(previous_month(cohorts[-1]))
    per_customer: dict[int, list[dt.datetime]] = defaultdict(list)
    for customer_id, created in bm.Order.objects.order_by("created_at").values_list("customer_id", "created_at"):
        if len(per_customer[customer_id]) < 2:
            per_customer[customer_id].append(created)
    cohort_sizes: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for moments in per_customer.values():
        month = month_start(moments[0].astimezone(TZ).date())
        cohort_sizes[month][0] += 1
        if len(moments) > 1 and moments[1] - moments[0] <= dt.timedelta(days=30):
            cohort_sizes[month][1] += 1
    rates = [round(cohort_sizes[m][1] / cohort_sizes[m][0], 3) if cohort_sizes[m][0] else 0.0 for m in cohorts]
    add(5, "retention.lifecycle", "second-order rate drop", cohort=latest.isoformat(), rate=rates[0],
        previous_three=rates[1:])  # fmt: skip

    cozy7, cozy_prev = _roas(cat.COZY_NIGHTS, d7, end), _roas(cat.COZY_NIGHTS, p7_first, p7_last)
    add(6, "creative.fatigue", cat.COZY_NIGHTS, ctr_7d=round(cozy7["ctr"], 5), ctr_prev_7d=round(cozy_prev["ctr"], 5),
        ctr_ratio=round(cozy7["ctr"] / cozy_prev["ctr"], 3),
        impressions_ratio=round(cozy7["impressions"] / cozy_prev["impressions"], 3))  # fmt: skip

    skillet = bm.Variant.objects.select_related("supplier").get(sku=cat.SKILLET_10)
    rate = units28.get(skillet.sku, 0) / 28
    add(7, "operations.inventory", f"{cat.SKILLET_10} Cast Iron Skillet 10in", stock=skillet.stock,
        days_of_cover=round(skillet.stock / rate, 2) if rate else None, lead_time_days=skillet.effective_lead_time_days,
        supplier=skillet.supplier.name if skillet.supplier else None,
        campaign=cat.HEARTH_POT, campaign_roas_28d=_roas(cat.HEARTH_POT, d28, end)["roas"])  # fmt: skip

    early = bm.EmailCampaign.objects.get(name=VIP_EARLY_ACCESS)
    restock = bm.EmailCampaign.objects.get(name=VIP_RESTOCK_ALERT)
    if early.scheduled_at is None or restock.scheduled_at is None:
        raise ValueError(f"demo e-mails {early.name!r} and {restock.name!r} must both be scheduled")
    add(8, "operations.calendar", "send clash", emails=[early.name, restock.name], segment=early.segment.key,
        day=early.scheduled_at.astimezone(TZ).date().isoformat(),
        hours_apart=abs((restock.scheduled_at - early.scheduled_at).total_seconds()) / 3600)  # fmt: skip

    month = month_start(end)
    elapsed = (end - month).days + 1
    pacing = {}
    for channel in ("meta", "google", "tiktok"):
        spent = bm.AdMetric.objects.filter(campaign__channel=channel, date__range=(month, end)).aggregate(
            s=Sum("spend")
        )["s"] or Decimal(0)
        budget = bm.ChannelBudget.objects.get(channel=channel, month=month).amount
        pacing[channel] = round(float(spent / (budget * elapsed / days_in_month(month))), 3)
    add(9, "finance.budget_guard", "TikTok pacing at 130%", pacing=pacing)

    po = bm.PurchaseOrder.objects.select_related("supplier").get(number=PO_NUMBER)
    value = po.lines.aggregate(
        v=Sum(
            ExpressionWrapper(
                F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=14, decimal_places=2)
            )
        )
    )["v"]
    add(10, "finance.po_desk", PO_NUMBER, status=po.status, supplier=po.supplier.name, value=float(value),
        age_days=(today - po.created_at.astimezone(TZ).date()).days,
        terms_days=po.supplier.payment_terms_days)  # fmt: skip

    apron = bm.Variant.objects.get(sku=cat.LINEN_APRON_SAGE)
    apron_units = units28.get(apron.sku, 0)
    add(11, "product.assortment", f"{cat.LINEN_APRON_SAGE} Linen Apron - Sage", stock=apron.stock,
        units_28d=apron_units,
        days_of_cover=round(apron.stock / (apron_units / 28)) if apron_units else None)  # fmt: skip

    kettle_orders = bm.Order.objects.filter(lines__variant__sku=cat.GLASS_KETTLE_BLUE).distinct()
    other_orders = bm.Order.objects.exclude(pk__in=kettle_orders.values("pk"))
    kettle_rate = kettle_orders.filter(refunded_amount__gt=0).count() / kettle_orders.count()
    rest_rate = other_orders.filter(refunded_amount__gt=0).count() / other_orders.count()
    add(12, "product.returns", f"{cat.GLASS_KETTLE_BLUE} Glass Kettle - Blue", refund_rate=round(kettle_rate, 3),
        rest_refund_rate=round(rest_rate, 3), ratio=round(kettle_rate / rest_rate, 2))  # fmt: skip

    current = month_start(today)
    revenue = {
        day: float(total) for day, total in _daily_revenue(min(current, end - dt.timedelta(days=13)), end).items()
    }
    mtd = sum(v for day, v in revenue.items() if day >= current)
    by_weekday: dict[int, list[float]] = defaultdict(list)
    for i in range(14):
        day = end - dt.timedelta(days=i)
        by_weekday[day.weekday()].append(revenue.get(day, 0.0))
    forecast, day = 0.0, today
    while day.month == current.month:
        forecast += sum(by_weekday[day.weekday()]) / len(by_weekday[day.weekday()])
        day += dt.timedelta(days=1)
    target = float(bm.SalesTarget.objects.get(month=current).revenue)
    add(13, "sales.forecast", "forecast miss", month=current.isoformat(), mtd=round(mtd, 2),
        forecast_rest=round(forecast, 2), target=target, shortfall=round(1 - (mtd + forecast) / target, 3))  # fmt: skip

    margins = {}
    for code in ("WELCOME40", "SPRING10", "THANKYOU15"):
        orders = bm.Order.objects.filter(discount_code=code)
        total = orders.aggregate(t=Sum("total"))["t"] or Decimal(0)
        cost = bm.OrderLine.objects.filter(order__discount_code=code).aggregate(
            c=Sum(
                ExpressionWrapper(
                    F("quantity") * F("variant__cost"), output_field=DecimalField(max_digits=14, decimal_places=2)
                )
            )
        )["c"] or Decimal(0)
        margins[code] = round(float((total - cost) / total), 3) if total else None
    add(14, "sales.discounts", "WELCOME40", gross_margin_after_discount=margins)

    add(15, "intelligence.trends", f"{cat.COLD_BREW} Cold Brew Maker", units_7d=_units(cat.COLD_BREW, d7, end),
        units_prev_7d=_units(cat.COLD_BREW, p7_first, p7_last))  # fmt: skip

    spike = end - dt.timedelta(days=2)
    totals = dict(
        bm.AdMetric.objects.filter(date__range=(spike - dt.timedelta(days=28), spike))
        .values("date")
        .annotate(s=Sum("spend"))
        .values_list("date", "s")
    )
    window = [float(totals.get(spike - dt.timedelta(days=i), 0)) for i in range(1, 29)]
    median = statistics.median(window)
    mad = statistics.median(abs(x - median) for x in window)
    weekday_norm = statistics.median(float(totals.get(spike - dt.timedelta(days=7 * i), 0)) for i in range(1, 5))
    add(16, "intelligence.anomalies", "spend spike, no revenue", day=spike.isoformat(),
        spend=float(totals.get(spike, 0)), ratio_to_weekday_norm=round(float(totals.get(spike, 0)) / weekday_norm, 2),
        robust_z=round((float(totals.get(spike, 0)) - median) / (1.4826 * mad), 1) if mad else None)  # fmt: skip
    return signals


def _daily_revenue(first: dt.date, last: dt.date) -> dict[dt.date, Decimal]:
    revenue: dict[dt.date, Decimal] = defaultdict(Decimal)
    for created, total in bm.Order.objects.filter(_orders_between(first, last)).values_list("created_at", "total"):
        revenue[created.astimezone(TZ).date()] += total
    return revenue
