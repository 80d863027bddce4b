"""One outcome check per kind of action: the numbers after against the numbers before, with a baseline.

A check gets a `Window` (the action, its execution day, the days before and after it, cut short
where a later action undid it) and returns an `Outcome`: the verdict, its confidence and the numbers
behind it. The baseline separates the action's effect from the trend: the same metric on comparable
campaigns or products over the same days, else the item's own trend over the days before. Too
little data is "too early", never a guess; the check runs again later.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from approvals.models import Execution, ProposedAction
from brand.clock import brand_tz, day_start
from brand.metrics import outcomes as data
from brand.metrics.figures import pct, safe_ratio
from brand.models import EmailCampaign, PurchaseOrder

WORKED = "worked"
NO_CLEAR_EFFECT = "no_clear_effect"
BACKFIRED = "backfired"
TOO_EARLY = "too_early"
VERDICTS = (WORKED, NO_CLEAR_EFFECT, BACKFIRED, TOO_EARLY)
VERDICT_WORDS = {WORKED: "worked", NO_CLEAR_EFFECT: "no clear effect", BACKFIRED: "backfired", TOO_EARLY: "too early"}

# A relative change smaller than this is noise for money ratios (ROAS, revenue).
MATERIAL = 0.10
# A budget raise buys revenue at a lower ROAS; a fall beyond this fraction is money thrown away.
ROAS_COLLAPSE = 0.3
# A count (units, orders) is judged against its expectation by a Poisson z-score: two standard
# deviations is the usual bar for "not chance".
Z_BAR = 2.0
# The share of the window's days that must have data before a check judges it.
MIN_COVERAGE = 0.7
MIN_DAYS = 3


@dataclass
class Window:
    proposal: ProposedAction
    execution: Execution
    executed_on: dt.date
    before: tuple[dt.date, dt.date]
    after: tuple[dt.date, dt.date]
    today: dt.date
    undone_by: ProposedAction | None = None

    @property
    def after_days(self) -> int:
        return (self.after[1] - self.after[0]).days

    @property
    def before_days(self) -> int:
        return (self.before[1] - self.before[0]).days

    @property
    def prior(self) -> tuple[dt.date, dt.date]:
        """The window before the before-window, as long: the item's own trend."""
        return self.before[0] - dt.timedelta(days=self.before_days), self.before[0]


@dataclass
class Outcome:
    verdict: str
    confidence: float
    summary: str
    numbers: dict[str, Any] = field(default_factory=dict)
    baseline: str = ""
    # A "too early" that will never ripen (the action was undone within days, the data never came)
    # is settled: it is not checked again.
    settled: bool = False

    @property
    def final(self) -> bool:
        return self.verdict != TOO_EARLY or self.settled


def too_early(reason: str, **numbers: Any) -> Outcome:
    return Outcome(TOO_EARLY, 0.0, f"Too early to judge: {reason}.", numbers)


def _clamp(value: float, low: float = 0.1, high: float = 0.95) -> float:
    return max(low, min(high, value))


def _ratio(after: float | None, before: float | None) -> float | None:
    if after is None or before is None or before == 0:
        return None
    return after / before


# Below a handful of expected units or orders, a Poisson count is all noise: two sales where none
# were expected is not a result. The variance is floored here.
MIN_VARIANCE = 4.0


def _z(observed: float, expected: float) -> float:
    """How many Poisson standard deviations `observed` is from `expected` (variance floored)."""
    return (observed - expected) / math.sqrt(max(expected, MIN_VARIANCE))


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


# --- ad budgets -----------------------------------------------------------------------------------


def _daily(window: data.AdWindow) -> float | None:
    """Revenue per day with data: windows of different lengths (one cut short) compare fairly."""
    return float(window.revenue) / window.days if window.days else None


def _needed(days: int) -> int:
    return max(MIN_DAYS, math.ceil(days * MIN_COVERAGE))


def budget_check(window: Window) -> Outcome:
    """Spend, ROAS and revenue over the days after the change against the days before; comparable
    campaigns (same channel) over the same days are the trend the change is measured against."""
    proposal = window.proposal
    campaign_id = int(proposal.args["campaign_id"])
    new_budget = Decimal(str(proposal.args["daily_budget"]))
    old_budget = Decimal(str(window.execution.result.get("daily_budget_before", new_budget)))
    cut = new_budget < old_budget
    before = data.ad_window(campaign_ids=[campaign_id], start=window.before[0], end=window.before[1])
    after = data.ad_window(campaign_ids=[campaign_id], start=window.after[0], end=window.after[1])
    if after.days < _needed(window.after_days) or before.days < _needed(window.before_days):
        return too_early(
            f"{after.days} of {window.after_days} days of ad data after the change "
            f"and {before.days} of {window.before_days} before",
            days_after=after.days,
            days_before=before.days,
        )
    if before.roas is None or after.roas is None:
        return too_early("no spend on one side of the change, so no ROAS to compare")
    peers = data.comparable_campaigns(campaign_id)
    peer_before = data.ad_window(campaign_ids=peers, start=window.before[0], end=window.before[1])
    peer_after = data.ad_window(campaign_ids=peers, start=window.after[0], end=window.after[1])
    roas_trend = _ratio(peer_after.roas, peer_before.roas)
    revenue_trend = _ratio(_daily(peer_after), _daily(peer_before))
    baseline = f"{len(peers)} comparable campaign(s) over the same days"
    if roas_trend is None or revenue_trend is None:
        prior = data.ad_window(campaign_ids=[campaign_id], start=window.prior[0], end=window.prior[1])
        roas_trend = _ratio(before.roas, prior.roas) if prior.days >= _needed(window.before_days) else None
        revenue_trend = _ratio(_daily(before), _daily(prior)) if roas_trend is not None else None
        baseline = "the campaign's own trend before the change"
    if roas_trend is None or revenue_trend is None:
        roas_trend = revenue_trend = 1.0
        baseline = "none (no comparable campaign, no earlier data): the raw change"
    # Per day: a window cut short by a later action must not read as less revenue.
    per_day = {
        "spend_before": float(before.spend) / before.days,
        "spend_after": float(after.spend) / after.days,
        "revenue_before": float(before.revenue) / before.days,
        "revenue_after": float(after.revenue) / after.days,
    }
    roas_effect = after.roas / before.roas / roas_trend - 1
    revenue_effect = (
        (per_day["revenue_after"] / per_day["revenue_before"] / revenue_trend - 1) if per_day["revenue_before"] else 0.0
    )
    if cut:
        # A cut aims at efficiency: each dollar left should earn more than before.
        effect = roas_effect
        verdict = WORKED if effect >= MATERIAL else BACKFIRED if effect <= -MATERIAL else NO_CLEAR_EFFECT
    else:
        # A raise aims at revenue, at a ROAS that does not collapse.
        effect = revenue_effect
        if revenue_effect >= MATERIAL and roas_effect > -ROAS_COLLAPSE:
            verdict = WORKED
        elif revenue_effect <= -MATERIAL or (roas_effect <= -ROAS_COLLAPSE and revenue_effect < MATERIAL):
            verdict = BACKFIRED
        else:
            verdict = NO_CLEAR_EFFECT
    coverage = min(1.0, after.days / max(1, window.after_days))
    confidence = _clamp((0.45 + min(0.4, abs(effect))) * coverage - (0.15 if baseline.startswith("none") else 0))
    words = "cut" if cut else "raise"
    summary = (
        f"Budget {words} {old_budget} -> {new_budget}/day: ROAS {before.roas:.2f} -> {after.roas:.2f}, "
        f"spend/day {per_day['spend_before']:.2f} -> {per_day['spend_after']:.2f}, "
        f"revenue/day {per_day['revenue_before']:.2f} -> {per_day['revenue_after']:.2f}; "
        f"against {baseline} (ROAS x{roas_trend:.2f}), the {'ROAS' if cut else 'revenue'} effect is {pct(effect)}."
    )
    numbers = {
        "daily_budget_before": str(old_budget),
        "daily_budget_after": str(new_budget),
        "days_before": before.days,
        "days_after": after.days,
        "spend_before": str(before.spend),
        "spend_after": str(after.spend),
        "revenue_before": str(before.revenue),
        "revenue_after": str(after.revenue),
        "roas_before": _num(before.roas),
        "roas_after": _num(after.roas),
        "baseline_roas_ratio": _num(roas_trend),
        "baseline_revenue_ratio": _num(revenue_trend),
        "roas_effect": _num(roas_effect),
        "revenue_effect": _num(revenue_effect),
        **{k: _num(v) for k, v in per_day.items()},
    }
    return Outcome(verdict, confidence, summary, numbers, baseline)


# --- markdowns and e-mails: counts against what the trend expected ----------------------------------


def _count_verdict(observed: int, expected: float, *, lift_bar: float) -> tuple[str, float, float]:
    """(verdict, confidence, lift) for a count against its expectation: worked only when the rise is
    both large and beyond chance, backfired only when the fall is."""
    z = _z(observed, expected)
    lift = observed / expected - 1 if expected > 0 else (math.inf if observed else 0.0)
    if z >= Z_BAR and lift >= lift_bar:
        verdict = WORKED
    elif z <= -Z_BAR and lift <= -lift_bar:
        verdict = BACKFIRED
    else:
        verdict = NO_CLEAR_EFFECT
    return verdict, _clamp(0.5 + 0.1 * abs(z)), lift


def _orders_through(window: Window) -> Outcome | None:
    through = data.orders_data_through()
    last_needed = window.after[1] - dt.timedelta(days=1)
    if through is None or through < last_needed:
        return too_early(f"orders are imported up to {through or 'no day yet'}, the window runs to {last_needed}")
    return None


def markdown_check(window: Window) -> Outcome:
    """Units per day and stock cover after the markdown, against the same product type's other
    products over the same days (else the SKU's own trend)."""
    if (early := _orders_through(window)) is not None:
        return early
    sku = str(window.proposal.args["sku"])
    units_before, _ = data.units_sold(skus=[sku], start=window.before[0], end=window.before[1])
    units_after, revenue_after = data.units_sold(skus=[sku], start=window.after[0], end=window.after[1])
    peers = data.comparable_skus(sku)
    trend, baseline = None, ""
    if peers:
        peer_before, _ = data.units_sold(skus=peers, start=window.before[0], end=window.before[1])
        peer_after, _ = data.units_sold(skus=peers, start=window.after[0], end=window.after[1])
        if peer_before:
            trend = (peer_after / window.after_days) / (peer_before / window.before_days)
            baseline = f"{len(peers)} SKU(s) of the same product type over the same days"
    if trend is None:
        prior, _ = data.units_sold(skus=[sku], start=window.prior[0], end=window.prior[1])
        if prior:
            trend = (units_before / window.before_days) / (prior / window.before_days)
            baseline = "the SKU's own trend before the markdown"
    if trend is None:
        trend, baseline = 1.0, "none (no comparable product, no earlier sales): the raw change"
    rate_before = units_before / window.before_days
    rate_after = units_after / window.after_days
    expected = rate_before * trend * window.after_days
    verdict, confidence, lift = _count_verdict(units_after, expected, lift_bar=0.25)
    stock = data.stock_of(sku)
    cover = None if stock is None or not rate_after else stock / rate_after
    cover_words = "no sales to cover" if cover is None else f"{cover:.0f} days of cover"
    summary = (
        f"Markdown on {sku}: {rate_before:.2f} -> {rate_after:.2f} units/day ({units_after} sold in "
        f"{window.after_days} days, {expected:.1f} expected from {baseline}); stock {stock}, {cover_words}."
    )
    numbers = {
        "units_before": units_before,
        "units_after": units_after,
        "units_per_day_before": _num(rate_before),
        "units_per_day_after": _num(rate_after),
        "expected_units_after": _num(expected),
        "baseline_ratio": _num(trend),
        "lift": None if math.isinf(lift) else _num(lift),
        "revenue_after": str(revenue_after),
        "stock": stock,
        "days_of_cover": _num(cover),
    }
    return Outcome(verdict, confidence, summary, numbers, baseline)


def email_check(window: Window) -> Outcome:
    """Orders and revenue of the e-mail's segment (and of its code) in its window, against the same
    days' orders of everyone else (the store's trend) applied to the segment's orders before."""
    if (early := _orders_through(window)) is not None:
        return early
    result = window.execution.result or {}
    campaign_id = result.get("email_campaign_id") or window.proposal.args.get("email_campaign_id")
    email = EmailCampaign.objects.filter(pk=campaign_id).first() if campaign_id else None
    if email is None:
        return too_early("the sent e-mail campaign is not on record")
    codes = data.codes_in(f"{email.subject}\n{email.body_text}")
    seg_before = data.segment_orders(segment_id=email.segment_id, start=window.before[0], end=window.before[1])
    seg_after = data.segment_orders(
        segment_id=email.segment_id, start=window.after[0], end=window.after[1], codes=codes
    )
    rest_before = data.segment_orders(
        segment_id=email.segment_id, start=window.before[0], end=window.before[1], inside=False
    )
    rest_after = data.segment_orders(
        segment_id=email.segment_id, start=window.after[0], end=window.after[1], inside=False
    )
    trend = safe_ratio(rest_after.orders / window.after_days, rest_before.orders / window.before_days)
    baseline = "everyone else's orders over the same days"
    if trend is None:
        trend, baseline = 1.0, "none (no other orders): the raw change"
    expected = seg_before.orders / window.before_days * window.after_days * trend
    verdict, confidence, lift = _count_verdict(seg_after.orders, expected, lift_bar=MATERIAL)
    code_words = f", {seg_after.with_codes} with {', '.join(codes)}" if codes else ""
    summary = (
        f"E-mail {email.name!r} to {email.segment.name}: {seg_after.orders} orders ({seg_after.revenue} revenue"
        f"{code_words}) in {window.after_days} days against {expected:.1f} expected from {baseline}."
    )
    numbers = {
        "orders_before": seg_before.orders,
        "orders_after": seg_after.orders,
        "revenue_before": str(seg_before.revenue),
        "revenue_after": str(seg_after.revenue),
        "orders_with_code": seg_after.with_codes,
        "codes": codes,
        "expected_orders_after": _num(expected),
        "baseline_ratio": _num(trend),
        "lift": None if math.isinf(lift) else _num(lift),
    }
    return Outcome(verdict, confidence, summary, numbers, baseline)


# --- purchase orders ---------------------------------------------------------------------------------


def po_check(window: Window) -> Outcome:
    """Did the stock-out the order was meant to avoid happen between its confirmation and the horizon?"""
    if (early := _orders_through(window)) is not None:
        return early
    po = PurchaseOrder.objects.filter(number=window.proposal.args["po"]).prefetch_related("lines__variant").first()
    if po is None:
        return too_early("the purchase order is no longer on record")
    skus = sorted({line.variant.sku for line in po.lines.all()})
    since = window.execution.finished_at or window.execution.started_at
    until = day_start(window.after[1], brand_tz())
    stockouts = data.first_stockouts(skus=skus, since=since, until=until)
    numbers = {
        "skus": skus,
        "status": po.status,
        "expected_at": po.expected_at.isoformat() if po.expected_at else None,
        "stockouts": {sku: at.isoformat() for sku, at in sorted(stockouts.items())},
    }
    if stockouts:
        first = min(stockouts.values())
        summary = (
            f"{po.number}: the stock-out it was meant to avoid happened anyway ({', '.join(sorted(stockouts))} "
            f"at zero from {first:%Y-%m-%d}; the order is {po.status})."
        )
        return Outcome(NO_CLEAR_EFFECT, 0.8, summary, numbers, "the SKUs' recorded stock")
    summary = f"{po.number}: none of {', '.join(skus)} ran out by {window.after[1]} (the order is {po.status})."
    # Without the order they might not have run out either: the record alone cannot prove it.
    return Outcome(WORKED, 0.6, summary, numbers, "the SKUs' recorded stock")


CHECKS: dict[str, Callable[[Window], Outcome]] = {
    "ads.set_daily_budget": budget_check,
    "pricing.set_markdown": markdown_check,
    "email.send_campaign": email_check,
    "po.confirm": po_check,
}
