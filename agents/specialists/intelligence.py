"""Intelligence's specialists: trends (week over week per product and category) and anomalies
(daily revenue, orders and spend against their weekly pattern).

They propose nothing: they write insights that growth, operations and the orchestrator read
(`product:<handle>:trend_wow`, `brand:anomaly:<date>:<metric>`).
"""

from __future__ import annotations

from django.utils.text import slugify

from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from agents.specialists import focus
from brand.metrics.figures import pct
from brand.metrics.intelligence import Anomaly, Trend, daily_anomalies, trends
from brand.money import money_words


def _trend_data(t: Trend, rising: bool) -> dict:
    return {
        "value": t.growth,
        "units_7d": t.units_7d,
        "units_prev_7d": t.units_prev_7d,
        "units_prev2_7d": t.units_prev2_7d,
        "previous_growth": t.previous_growth,
        "acceleration": t.acceleration,
        "z": t.z,
        "rising": rising,
    }


def _trend_fact(key: str, t: Trend, rising: bool, *, evidence: list | None = None, confidence: float = 1.0) -> dict:
    """A week-on-week trend fact for memory: an insight when rising, a metric otherwise."""
    return {
        "key": key,
        "kind": "insight" if rising else "metric",
        "subject": t.title,
        "text": _trend_text(t) + (" Trending up." if rising else ""),
        "data": _trend_data(t, rising),
        "evidence": evidence,
        "confidence": confidence,
    }


def _trend_text(t: Trend) -> str:
    growth = "n/a (nothing the week before)" if t.growth is None else f"{'+' if t.growth >= 0 else ''}{pct(t.growth)}"
    accel = "" if t.acceleration is None else f", acceleration {t.acceleration:+.2f}"
    return (
        f"{t.title}: {t.units_7d} units in the last 7 days vs {t.units_prev_7d} the week before "
        f"({growth} week over week{accel}; z = {t.z:.1f})."
    )


@register
class Trends(Specialist):
    key = "intelligence.trends"
    division = "intelligence"
    name = "Trends"
    description = (
        "Trend score per product and category: week-over-week unit growth, acceleration and significance (a z test "
        "on the two weeks' counts). Writes trend insights that growth and operations read before promoting or "
        "reordering. Ask it what is trending, what is taking off, which products or categories grow or slow down."
    )
    defaults = {
        "min_units": 20,  # units in the last 7 days for a rise to count
        "min_growth": 0.5,  # +50% week over week
        "min_z": 3.0,
        "memory_min_units": 10,  # products with fewer units over the two weeks get no trend entry
        "focus_min_z": 2.0,
    }

    def run(self, ctx: RunContext) -> None:
        cfg = dict(ctx.config)
        asked = focus.intent_text(ctx)
        report = trends(ctx.today, cfg)
        facts: list[dict] = []
        for t in report.products:
            named = focus.mentions(asked, t.name, t.title)
            rising = t.rising({**cfg, "min_z": cfg["focus_min_z"]} if named else cfg)
            if t.units_7d + t.units_prev_7d < int(cfg["memory_min_units"]) and not named:
                continue
            facts.append(
                _trend_fact(
                    f"product:{t.name}:trend_wow",
                    t,
                    rising,
                    evidence=[{"model": "brand.product", "pk": t.product_id}],
                    confidence=0.9 if rising else 1.0,
                )
            )
        for t in report.categories:
            rising = t.rising(cfg)
            if t.units_7d + t.units_prev_7d < int(cfg["memory_min_units"]):
                continue
            facts.append(_trend_fact(f"category:{slugify(t.name)}:trend_wow", t, rising))
        ctx.remember_many(facts)


@register
class Anomalies(Specialist):
    key = "intelligence.anomalies"
    division = "intelligence"
    name = "Anomalies"
    description = (
        "Watches daily revenue, orders and ad spend against their weekly pattern (robust z-score: median and MAD of "
        "the same weekday over the last 8 weeks) and raises a risk insight for a spend spike that brought no revenue, "
        "or a revenue or orders drop. Ask it about anything unusual, spikes, drops, a strange day, tracking problems."
    )
    defaults = {
        "baseline_weeks": 8,
        "check_days": 7,
        "z_threshold": 3.5,
        "follow_z": 1.5,  # ad revenue and orders "followed" a spend spike when their z reached this
        "mad_floor": 0.05,  # the MAD is at least 5% of the median
        "min_spend_excess_share": 0.25,  # a spike must be at least a quarter over the weekday's norm to matter
    }

    def run(self, ctx: RunContext) -> None:
        report = daily_anomalies(ctx.today, ctx.config)
        facts: list[dict] = []
        for anomaly in report.anomalies:
            facts.append(
                dict(
                    key=f"brand:anomaly:{anomaly.day.isoformat()}:{anomaly.kind}",
                    kind="insight",
                    subject=f"{anomaly.kind} anomaly {anomaly.day.isoformat()}",
                    text=self._text(anomaly),
                    data={
                        "value": anomaly.main.z,
                        "risk": True,
                        "date": anomaly.day.isoformat(),
                        "metric": anomaly.kind,
                        **{
                            name: {"value": s.value, "median": s.median, "mad": s.mad, "z": s.z}
                            for name, s in anomaly.scores.items()
                        },
                    },
                    confidence=0.9,
                )
            )
        ctx.remember_many(facts)

    @staticmethod
    def _text(a: Anomaly) -> str:
        s = a.scores
        day = f"{a.day:%a %Y-%m-%d}"
        if a.kind == "spend":
            return (
                f"Risk: ad spend on {day} was {money_words(s['spend'].value)}, "
                f"{s['spend'].value / max(s['spend'].median, 1):.1f}x "
                f"its {money_words(s['spend'].median)} weekday norm (robust z = {s['spend'].z:.1f}), but ad revenue "
                f"was "
                f"{money_words(s['ad_revenue'].value)} vs {money_words(s['ad_revenue'].median)} (z = "
                f"{s['ad_revenue'].z:.1f}) "
                "and orders "
                f"{s['orders'].value:.0f} vs {s['orders'].median:.0f}: spend with no revenue behind it (a runaway "
                "campaign, a bidding error or broken tracking)."
            )
        metric = a.main
        shown = money_words if a.kind == "revenue" else (lambda v: f"{v:.0f}")
        return (
            f"Risk: {a.kind} on {day} fell to {shown(metric.value)} vs a {shown(metric.median)} weekday norm "
            f"(robust z = {metric.z:.1f})."
        )
