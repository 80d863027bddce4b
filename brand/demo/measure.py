"""The planted signals measured on the generated dataset, before anything is written.

`measure_dataset` returns the key numbers of every signal that lives in the history (the other
ones, e-mails and the PO, are set by `records` with fixed shapes) and `problems` lists any
signal that is missing or any accidental second signal of the same kind. The generator refuses
a dataset with problems, which is how "every seed plants every signal" is kept true.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any

from . import catalog as cat
from .generate import Dataset, month_start, previous_month, units_by_sku
from .plan import PACING, channel_budgets, channel_spend, days_in_month, forecast_current_month, sales_targets

ACTIVE_CAMPAIGNS = {c[0] for c in cat.CAMPAIGNS if c[0] != cat.WINTER_WARMERS}


def _ratio(a: float | Decimal, b: float | Decimal) -> float:
    return float(a) / float(b) if b else float("inf")


def _campaign(ds: Dataset, name: str, first: dt.date, last: dt.date) -> dict[str, float]:
    days = [m for day, m in ds.ads[name].items() if first <= day <= last]
    return {
        "spend": float(sum(m.spend for m in days)),
        "revenue": float(sum(m.revenue for m in days)),
        "impressions": float(sum(m.impressions for m in days)),
        "clicks": float(sum(m.clicks for m in days)),
    }


def measure_dataset(ds: Dataset) -> dict[str, Any]:
    end = ds.end_date
    last = len(ds.days) - 1
    d7, d14, d28 = (end - dt.timedelta(days=n - 1) for n in (7, 14, 28))
    prev7_first, prev7_last = end - dt.timedelta(days=13), end - dt.timedelta(days=7)
    problems: list[str] = []
    out: dict[str, Any] = {"problems": problems}

    # --- ads ---
    budget = {c[0]: c[2] for c in cat.CAMPAIGNS}
    roas: dict[str, tuple[float, float]] = {}
    for name in ACTIVE_CAMPAIGNS:
        m7, m28 = _campaign(ds, name, d7, end), _campaign(ds, name, d28, end)
        roas[name] = (_ratio(m7["revenue"], m7["spend"]), _ratio(m28["revenue"], m28["spend"]))
        p7 = _campaign(ds, name, prev7_first, prev7_last)
        ctr_ratio = _ratio(m7["clicks"] / m7["impressions"], p7["clicks"] / p7["impressions"])
        min_pace = min(float(m.spend) / budget[name] for day, m in ds.ads[name].items() if day >= d14)
        if name == cat.SPRING_GLOW:
            out["spring_glow"] = {"roas_7d": roas[name][0], "roas_28d": roas[name][1], "spend_7d": m7["spend"]}
        elif name == cat.COZY_NIGHTS:
            out["cozy_nights"] = {
                "ctr_ratio": ctr_ratio,
                "impressions_ratio": _ratio(m7["impressions"], p7["impressions"]),
            }
        elif name == cat.EVERGREEN:
            out["evergreen"] = {"roas_28d": roas[name][1], "min_budget_use_14d": min_pace}
        else:
            if roas[name][0] < 0.65 * roas[name][1]:
                problems.append(f"{name}: 7-day ROAS {roas[name][0]:.2f} vs 28-day {roas[name][1]:.2f}")
            if not 0.8 <= ctr_ratio <= 1.25:
                problems.append(f"{name}: CTR ratio {ctr_ratio:.2f}")
            if roas[name][1] >= 5 and min_pace >= 0.95:
                problems.append(f"{name}: a second under-funded winner")
    out["hearth_pot"] = {"roas_28d": roas[cat.HEARTH_POT][1]}

    # --- catalogue and stock ---
    units28 = units_by_sku(ds.orders, last - 27, last)
    units7 = units_by_sku(ds.orders, last - 6, last)
    units_prev7 = units_by_sku(ds.orders, last - 13, last - 7)
    all_units = sorted(units28.get(v.sku, 0) for v in cat.CATALOG)
    q3 = all_units[int(0.75 * (len(all_units) - 1))]
    promoted = {sku for c in cat.CAMPAIGNS if c[0] in ACTIVE_CAMPAIGNS for sku in c[7]}
    for v in cat.CATALOG:
        rate = units28.get(v.sku, 0) / 28
        cover = ds.stock[v.sku] / rate if rate else float("inf")
        if v.sku == cat.SKILLET_10:
            out["hp104"] = {"days_of_cover": cover, "units_28d": units28[v.sku], "stock": ds.stock[v.sku]}
        elif v.sku == cat.LINEN_APRON_SAGE:
            out["la220"] = {"units_28d": units28.get(v.sku, 0), "stock": ds.stock[v.sku], "days_of_cover": cover}
        else:
            if cover < 40 or cover > 110:
                problems.append(f"{v.sku}: {cover:.0f} days of cover")
        if v.sku == cat.ROASTING_PAN:
            out["hp310"] = {
                "margin": float(v.margin),
                "units_28d": units28[v.sku],
                "top_quartile_threshold": q3,
                "promoted": v.sku in promoted,
            }
        elif v.margin >= Decimal("0.6") and units28.get(v.sku, 0) >= q3 and v.sku not in promoted:
            problems.append(f"{v.sku}: a second under-promoted high-margin SKU")
        if v.sku == cat.COLD_BREW:
            out["cb500"] = {"units_7d": units7[v.sku], "units_prev_7d": units_prev7[v.sku]}
        elif (units7.get(v.sku, 0) >= 30 and units7[v.sku] >= 1.6 * units_prev7.get(v.sku, 0)) or (
            units7.get(v.sku, 0) >= 20 and units7[v.sku] >= 2 * units_prev7.get(v.sku, 0)
        ):
            problems.append(f"{v.sku}: a second trend ({units_prev7.get(v.sku, 0)} -> {units7[v.sku]})")
    if out["hp310"]["promoted"] or out["hp310"]["units_28d"] < q3:
        problems.append("HP-310 is not an under-promoted top-quartile seller")

    # --- customers ---
    by_customer: dict[int, list] = defaultdict(list)
    for order in ds.orders:
        by_customer[order.customer].append(order)
    spend = sorted(float(sum(o.total() for o in orders)) for orders in by_customer.values())
    top_decile = spend[int(0.9 * (len(spend) - 1))]
    lapsing, late_others, gaps = [], [], []
    for c, orders in by_customer.items():
        if len(orders) < 4 or float(sum(o.total() for o in orders)) < top_decile:
            continue
        order_days = sorted(o.day for o in orders)
        interval = (order_days[-1] - order_days[0]) / (len(order_days) - 1)
        gap = last + 1 - order_days[-1]  # days from the last order to today
        if gap > 1.5 * interval:
            lapsing.append(c)
            gaps.append(gap)
        if ds.customers[c].kind == "lapsing" and gap <= 1.5 * interval:
            late_others.append(c)
    kinds = {ds.customers[c].kind for c in lapsing}
    if kinds != {"lapsing"}:
        problems.append(f"lapsing VIPs of kinds {kinds}")
    lapsing_total = sum(1 for c in ds.customers if c.kind == "lapsing")
    out["lapsing_vips"] = {
        "count": len(lapsing),
        "planted": lapsing_total,
        "gap_days": [min(gaps, default=0), max(gaps, default=0)],
    }
    if len(lapsing) != lapsing_total or not 30 <= len(lapsing) <= 40:
        problems.append(f"{len(lapsing)} lapsing VIPs in the top decile (of {lapsing_total} planted)")

    latest = previous_month(month_start(ds.today))
    cohorts = [latest]
    for _ in range(3):
        cohorts.append(previous_month(cohorts[-1]))
    firsts: dict[dt.date, list[int]] = defaultdict(list)
    for orders in by_customer.values():
        order_days = sorted(o.day for o in orders)
        month = month_start(ds.days[order_days[0]])
        seconds = len(order_days) > 1 and order_days[1] - order_days[0] <= 30
        firsts[month].append(1 if seconds else 0)
    rates = [sum(firsts[m]) / len(firsts[m]) if firsts[m] else 0.0 for m in cohorts]
    out["second_order_rate"] = {"latest": rates[0], "previous_three": rates[1:], "cohort": latest.isoformat()}
    if not rates[0] < 0.6 * (sum(rates[1:]) / 3):
        problems.append(f"second-order rates {rates}")

    # --- refunds ---
    def refund_rate(predicate: Any) -> float:
        chosen = [o for o in ds.orders if predicate(o)]
        return sum(o.refunded for o in chosen) / len(chosen)

    has_kettle = lambda o: any(sku == cat.GLASS_KETTLE_BLUE for sku, _ in o.lines)  # noqa: E731
    out["gk150"] = {
        "refund_rate": refund_rate(has_kettle),
        "rest_refund_rate": refund_rate(lambda o: not has_kettle(o)),
    }

    # --- discount codes ---
    margins: dict[str, float] = {}
    for code in ("WELCOME40", "SPRING10", "THANKYOU15"):
        chosen = [o for o in ds.orders if o.code == code]
        total = sum(o.total() for o in chosen)
        margins[code] = float((total - sum(o.cost() for o in chosen)) / total)
    out["codes"] = margins
    if margins["WELCOME40"] >= 0 or margins["SPRING10"] <= 0 or margins["THANKYOU15"] <= 0:
        problems.append(f"discount margins {margins}")

    # --- budgets, targets ---
    budgets = channel_budgets(ds)
    spend_by = channel_spend(ds)
    month = month_start(end)
    elapsed = (end - month).days + 1
    pacing = {}
    for channel in PACING:
        mtd = sum((v for (ch, day), v in spend_by.items() if ch == channel and month_start(day) == month), Decimal(0))
        pacing[channel] = float(mtd / (budgets[channel, month] * elapsed / days_in_month(month)))
    out["pacing"] = pacing
    mtd, forecast = forecast_current_month(ds)
    target = sales_targets(ds)[month_start(ds.today)]
    out["forecast"] = {"mtd": float(mtd), "forecast": float(forecast), "target": float(target),
                       "shortfall": float(1 - (mtd + forecast) / target)}  # fmt: skip

    # --- the spend spike ---
    totals: dict[dt.date, float] = defaultdict(float)
    for series in ds.ads.values():
        for day, m in series.items():
            totals[day] += float(m.spend)
    spike = end - dt.timedelta(days=2)
    window = [totals[spike - dt.timedelta(days=i)] for i in range(1, 29)]
    median = statistics.median(window)
    mad = statistics.median(abs(x - median) for x in window)
    same_weekday = statistics.median(totals[spike - dt.timedelta(days=7 * i)] for i in range(1, 5))
    out["spend_spike"] = {
        "day": spike.isoformat(),
        "ratio_to_weekday_norm": totals[spike] / same_weekday,
        "robust_z": (totals[spike] - median) / (1.4826 * mad) if mad else float("inf"),
    }

    # --- volume ---
    out["counts"] = {
        "variants": len(cat.CATALOG),
        "customers": len(ds.customers),
        "orders": len(ds.orders),
        "campaigns": len(ds.ads),
    }
    if len(ds.orders) < 20000 or len(ds.customers) < 4000 or len(cat.CATALOG) < 150:
        problems.append(f"counts {out['counts']}")
    return out
