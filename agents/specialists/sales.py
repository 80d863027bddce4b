"""Sales' specialists: the forecast (revenue against the month's target) and discounts (codes that
lose money).

The numbers and the decision to propose come from `brand.metrics.sales`; the LLM (or the
offline templates) writes the note after the numbers and the forecast report's prose.
"""

from __future__ import annotations

import calendar
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from agents.specialists import focus
from approvals.selectors import busy_targets
from brand.metrics.figures import pct
from brand.metrics.sales import CodePerformance, SalesForecast, discount_performance, sales_forecast
from brand.money import money_words

if TYPE_CHECKING:
    from memory.models import MemoryEntry

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Note(BaseModel):
    note: str = Field(max_length=600)


class Report(BaseModel):
    title: str = Field(max_length=200)
    body: str


@register
class Forecast(Specialist):
    key = "sales.forecast"
    division = "sales"
    name = "Forecast"
    description = (
        "Forecasts revenue for the next 14 days and the rest of the month with weekly seasonality (the last 28 days' "
        "level times weekday factors from the last 8 weeks) and compares month-to-date plus forecast with the "
        "month's sales target; publishes a forecast report when the month will miss. Ask it about revenue, "
        "targets, will we hit the number, the sales outlook."
    )
    instructions = "You are a sales analyst writing a short, plain forecast report for the team."
    defaults = {
        "level_days": 28,
        "season_weeks": 8,
        "horizon_days": 14,
        "miss_threshold": 0.10,  # report when the month is projected 10% or more under target
    }

    def run(self, ctx: RunContext) -> None:
        cfg = ctx.config
        f = sales_forecast(ctx.today, cfg)
        series = ctx.remember(
            key="brand:forecast:14d",
            kind="metric",
            subject="Revenue forecast",
            text=f"Revenue forecast for the next {len(f.next_days)} days: {money_words(f.forecast_horizon)} "
            f"(level {money_words(f.level)} a day, weekly seasonality).",
            data={
                "value": float(f.forecast_horizon),
                "level": float(f.level),
                "weekday_factors": {WEEKDAYS[k]: v for k, v in f.weekday_factors.items()},
                "days": [{"date": d.day.isoformat(), "revenue": float(d.revenue)} for d in f.next_days],
            },
        )
        if f.target is None or f.gap is None:
            # A shop's exports carry no sales target: the forecast stands, a miss cannot be judged.
            ctx.warn(f"no sales target for {calendar.month_name[f.month.month]}: forecast written, no miss judged")
            return
        miss = f.gap_ratio is not None and f.gap_ratio <= -float(cfg["miss_threshold"])
        month = calendar.month_name[f.month.month]
        gap = ctx.remember(
            key="brand:forecast:month_gap",
            kind="insight" if miss else "metric",
            subject=f"{month} target",
            text=(
                f"{month}: {money_words(f.mtd_revenue)} to date + {money_words(f.forecast_rest)} forecast for the last "
                f"{len(f.rest_of_month)} days = {money_words(f.projected)} against a {money_words(f.target)} target "
                f"({pct(f.gap_ratio, 1)})."
            ),
            data={
                "value": f.gap_ratio,
                "gap": float(f.gap),
                "projected": float(f.projected),
                "target": float(f.target),
                "mtd": float(f.mtd_revenue),
                "forecast_rest": float(f.forecast_rest),
                "month": f.month.isoformat(),
            },
            evidence=[{"model": "brand.salestarget", "pk": f.target_id}, {"memory": series.pk}],
        )
        if miss or focus.intent_text(ctx) or focus.feedback_comment(ctx):
            self._publish(ctx, f, [gap, series], miss)

    def _publish(self, ctx: RunContext, f: SalesForecast, evidence: list, miss: bool) -> None:
        target, gap = f.target, f.gap
        if target is None or gap is None:
            raise ValueError(f"{f.month:%Y-%m}: no sales target, so no forecast report to publish")
        month = calendar.month_name[f.month.month]
        numbers = (
            f"{month} is projected at {money_words(f.projected)} against a {money_words(target)} target: "
            f"{money_words(abs(gap))} "
            f"{'short' if gap < 0 else 'ahead'} ({pct(f.gap_ratio, 1)}). Month to date {money_words(f.mtd_revenue)}; "
            f"forecast {money_words(f.forecast_rest)} for the remaining {len(f.rest_of_month)} days at a "
            f"{money_words(f.level)} daily "
            f"level with weekly seasonality; next {len(f.next_days)} days {money_words(f.forecast_horizon)}."
        )
        table = "\n".join(f"- {d.day:%a %Y-%m-%d}: {money_words(d.revenue)}" for d in f.next_days)
        factors = ", ".join(f"{WEEKDAYS[k]} {v:.2f}" for k, v in f.weekday_factors.items())
        title = (
            f"{month} revenue forecast: {money_words(f.projected)} vs {money_words(target)} target "
            f"({pct(f.gap_ratio, 1)})"
        )

        def offline() -> Report:
            body = (
                f"{numbers}\n\nWeekday factors (last 8 weeks): {factors}.\n\nForecast, next {len(f.next_days)} days:\n"
                f"{table}\n\n"
                + (
                    f"To close the gap the rest of the month needs "
                    f"{money_words(abs(gap) / max(len(f.rest_of_month), 1))} a "
                    "day more than the forecast: worth a growth push or a retention send."
                    if gap < 0
                    else "The month is on course."
                )
            )
            return Report(title=title[:200], body=body)

        report = ctx.write(
            Report,
            task="Write a short revenue forecast report for the team from these numbers.",
            facts={"numbers": numbers, "factors": factors, "days": table, "feedback": focus.feedback_comment(ctx)},
            offline=offline,
            purpose="forecast report",
        )
        ctx.propose(
            "report.publish",
            {
                "title": report.title[:200],
                "body": report.body,
                "data": {
                    "month": f.month.isoformat(),
                    "target": float(target),
                    "projected": float(f.projected),
                    "gap_ratio": f.gap_ratio,
                    "forecast": [{"date": d.day.isoformat(), "revenue": float(d.revenue)} for d in f.next_days],
                },
            },
            rationale=numbers,
            evidence=evidence,
            confidence=0.7,
            priority=abs(float(gap)) / 100 if miss else 0,
        )


@register
class Discounts(Specialist):
    key = "sales.discounts"
    division = "sales"
    name = "Discounts"
    description = (
        "Measures every discount code's uplift (order value against full-price orders) and margin erosion (gross "
        "margin after the discount: revenue - discount - cost of goods) and proposes retiring codes that lose "
        "money. Ask it about discount codes, coupons, promo codes, margin erosion, WELCOME codes."
    )
    instructions = "You are a pricing analyst explaining why a discount code should be retired."
    defaults = {
        "window_days": 60,
        "min_orders": 10,
        "max_margin_rate": 0.0,  # retire a code whose margin after discount is at or below 0%
        "focus_max_margin_rate": 0.15,  # when a person names the code
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        cfg = ctx.config
        asked = focus.intent_text(ctx)
        revising = focus.sent_back_args(ctx).get("code")
        codes = discount_performance(ctx.today, cfg)
        taken = busy_targets(action_type="pricing.retire_discount")
        candidates = []
        for c in codes:
            if c.orders < int(cfg["min_orders"]):
                continue
            entry = ctx.remember(
                key=f"code:{c.code}:margin",
                kind="metric",
                subject=c.code,
                text=(
                    f"{c.code}: {c.orders} orders in {cfg['window_days']} days, {money_words(c.gross)} gross - "
                    f"{money_words(c.discount)} discount - {money_words(c.cogs)} cost of goods = "
                    f"{money_words(c.margin)} margin "
                    f"({pct(c.margin_rate, 1)} of net revenue)."
                ),
                data={
                    "value": c.margin_rate,
                    "margin": float(c.margin),
                    "orders": c.orders,
                    "gross": float(c.gross),
                    "discount": float(c.discount),
                    "cogs": float(c.cogs),
                    "uplift": c.uplift,
                    "window_days": int(cfg["window_days"]),
                },
                evidence=[{"model": "brand.discount", "pk": c.discount_id}] if c.discount_id else [],
            )
            # A code seen only on the orders export has no discount record to retire: still judged,
            # and a loss is put to a person as a brief (below) rather than dropped.
            if c.discount_id is not None and c.status != "active":
                continue
            named = focus.mentions(asked, c.code) or revising == c.code
            if asked and not named:
                continue
            limit = float(cfg["focus_max_margin_rate"] if named else cfg["max_margin_rate"])
            if c.margin_rate is None or c.margin_rate > limit:
                continue
            if f"discount:{c.code}" in taken and revising != c.code:
                continue
            candidates.append((c, entry))
        for c, entry in focus.pick(candidates, cfg["max_proposals"]):
            self._propose(ctx, c, entry)

    def _propose(self, ctx: RunContext, c: CodePerformance, entry: MemoryEntry) -> None:
        window = int(ctx.config["window_days"])
        # A code known only from the orders export has no stated depth: the depth seen on its orders.
        off = (
            f"{c.percent_off.normalize():f}% off"
            if c.percent_off is not None
            else f"{float(c.discount / c.gross):.0%} off"
            if c.gross
            else "a discount"
        )
        numbers = (
            f"{c.code} ({off}) loses money: {c.orders} orders in {window} days, "
            f"{money_words(c.gross)} at full price - {money_words(c.discount)} discount - "
            f"{money_words(c.cogs)} cost of goods = "
            f"{money_words(c.margin)} gross margin ({pct(c.margin_rate, 1)} of net revenue) vs "
            f"{pct(c.full_price_margin_rate, 1)} on full-price orders. Average order {money_words(c.aov)} vs "
            f"{money_words(c.full_price_aov)} without a code "
            f"({'+' if (c.uplift or 0) >= 0 else ''}{pct(c.uplift, 1)} uplift)."
        )
        note = ctx.write(
            Note,
            task="In one or two sentences, advise on retiring this discount code. Cite no new numbers.",
            facts={
                "code": c.code,
                "margin": c.margin,
                "margin_rate": c.margin_rate,
                "uplift": c.uplift,
                "feedback": focus.feedback_comment(ctx),
            },
            offline=lambda: Note(
                note="Each order with this code costs more than it brings in; a smaller welcome "
                "offer would keep the acquisition without the loss."
            ),
            purpose="retire discount rationale",
        )
        if c.discount_id is None:
            ctx.propose(
                "brief.draft",
                {
                    "title": f"Turn off discount code {c.code} in the shop: it loses money"[:200],
                    "body": f"{numbers} Atlas has no record of {c.code} (it came with the orders export), so it "
                    "cannot retire the code itself: turn it off in the shop, or record it in Atlas and the next "
                    "cycle proposes retiring it.",
                    "data": {"code": c.code, "margin_rate": c.margin_rate, "reason": "no discount record"},
                },
                rationale=f"{numbers} No discount record in Atlas: a person turns the code off. {note.note}".strip(),
                evidence=[entry],
                confidence=0.8,
                priority=float(-c.margin) / 10,
            )
            return
        ctx.propose(
            "pricing.retire_discount",
            {"code": c.code},
            rationale=f"{numbers} {note.note}".strip(),
            evidence=[entry],
            confidence=0.8,
            priority=float(-c.margin) / 10,
        )
