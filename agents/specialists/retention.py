"""Retention: churn watch (lapsing VIPs -> a win-back e-mail) and lifecycle (second-order rate -> post-purchase)."""

from __future__ import annotations

from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from agents.specialists import focus
from agents.specialists.creative import (
    ASKS_A_SEND,
    audience_ready,
    draft_email,
    draft_from_intent,
    revise_email_proposal,
)
from approvals.executor import proposal_execute
from approvals.models import ProposedAction, Status
from brand.metrics.operations import free_send_slot
from brand.metrics.retention import churn_analysis, lifecycle_analysis
from brand.models import Product
from brand.money import money_words


def _slot(ctx: RunContext, segment: str) -> str:
    config = ctx.config
    return free_send_slot(
        ctx.today,
        segment,
        earliest_days=int(config["earliest_days"]),
        hour=int(config["send_hour"]),
        min_gap_hours=float(config["min_gap_hours"]),
    ).isoformat()


# What a request about repeat purchase says ("new customers aren't coming back").
REPEAT_PHRASES = (
    "new customer",
    "first-time",
    "first time",
    "first order",
    "first purchase",
    "repeat",
    "second order",
    "coming back",
    "come back",
    "reorder",
    "onboarding",
    "post-purchase",
    "post purchase",
    "lifecycle",
)


def named_products(text: str) -> list[Product]:
    """The products a request names: by SKU, handle or two words of the title (`focus.mentions`), or
    else by the title's last word, its head noun ("the skillet" names "Cast Iron Skillet" and not
    "Skillet Handle Sleeve"). The catalogue is one query and small."""
    if not text:
        return []
    products = list(Product.objects.order_by("pk").prefetch_related("variants"))
    named = [p for p in products if focus.mentions(text, p.handle, p.title, *(v.sku for v in p.variants.all()))]
    if named:
        return named
    said = focus.words(text)
    heads = {p.pk: p.title.lower().split()[-1] for p in products if p.title.split()}
    return [p for p in products if len(heads.get(p.pk, "")) > 2 and heads[p.pk] in said]


def _honour_a_send(ctx: RunContext) -> bool:
    """ "Send the spring edit to the VIPs": a person's send to a segment they name, drafted as asked (or
    the open send to it cited); False when the request asks for no send to a named segment."""
    asks_a_send = ctx.intent is not None and ASKS_A_SEND.search(ctx.intent.text)
    return bool(asks_a_send) and draft_from_intent(ctx, fallback_segment=None)


def _built_now(ctx: RunContext, build: ProposedAction | None) -> bool:
    """The segment the win-back goes to holds today's cohort before the send is proposed.

    The build is internal work, approved by policy and otherwise executed after the proposing
    transaction commits, by a worker: a send proposed beside it would preview (and be judged on) the
    segment as it was, empty on a new shop. So the build is executed here, once (the executor's claim
    makes the queued execution a no-op)."""
    if build is None:
        ctx.warn("the segment build was not proposed; the win-back e-mail waits for the segment")
        return False
    if build.status == Status.APPROVED:
        proposal_execute(proposal_id=build.pk)
        build.refresh_from_db(fields=["status", "status_reason"])
    if build.status != Status.EXECUTED:
        ctx.warn(
            f"segment build #{build.pk} is {build.status}"
            + (f" ({build.status_reason})" if build.status_reason else "")
            + "; the win-back e-mail waits for the segment"
        )
        return False
    return True


@register
class ChurnWatch(Specialist):
    key = "retention.churn_watch"
    division = "retention"
    name = "Churn watch"
    description = (
        "Customer churn and win-back: RFM per customer (recency, frequency, spend); finds VIPs (4+ orders, top "
        "10% spend) who are past 1.5x their usual reorder interval, builds the lapsing-VIP segment and proposes "
        "a win-back e-mail to it. Ask it about lapsing, lost or inactive customers, VIPs, loyalty or win-back."
    )
    defaults = {
        "min_orders": 4,
        "vip_top_fraction": 0.1,
        "lapse_factor": 1.5,  # past 1.5x their usual interval
        "max_lapse_factor": 5.0,  # beyond this they are gone, not lapsing
        "min_interval_days": 7,
        "min_cohort": 5,
        "intent_min_cohort": 2,  # someone asked: a smaller cohort is still worth a win-back
        "segment": "lapsing-vip",
        "segment_name": "Lapsing VIPs",
        "send_hour": 10,
        "earliest_days": 1,
        "min_gap_hours": 24,
    }

    def run(self, ctx: RunContext) -> None:
        if ctx.feedback and revise_email_proposal(ctx) is not None:
            return
        if _honour_a_send(ctx):
            return
        config = ctx.config
        asked = focus.intent_text(ctx)
        products = named_products(asked)
        findings = churn_analysis(ctx.today, config, product_ids=[p.pk for p in products] or None)
        lapsing = findings.lapsing
        segment, segment_name = str(config["segment"]), str(config["segment_name"])
        bought = ""
        if products:
            # A cohort of its own: the general lapsing-VIP segment keeps its members.
            segment = f"{segment}-{products[0].handle}"[:64]
            segment_name = f"{segment_name}: {', '.join(p.title for p in products)}"[:120]
            bought = f" who bought {' or '.join(p.title for p in products)}"
        min_cohort = int(config["intent_min_cohort"] if asked else config["min_cohort"])
        entry = ctx.remember(
            key=f"segment:{segment}:lapsing_count",
            kind="metric",
            subject=segment_name,
            data={
                "value": len(lapsing),
                "vips": len(findings.vips),
                "spend": str(findings.lapsing_spend),
                "median_interval_days": findings.median_interval and round(findings.median_interval, 1),
                "median_days_since": findings.median_days_since and round(findings.median_days_since, 1),
            },
            evidence=[{"model": "brand.customer", "pk": c.customer_id} for c in lapsing[:20]],
            text=(
                f"{len(lapsing)} of {len(findings.vips)} VIPs{bought} are past {float(config['lapse_factor']):g}x "
                f"their usual reorder interval"
                + (
                    f" (median interval {findings.median_interval:.0f} days, median {findings.median_days_since:.0f} "
                    f"days since their last order; {money_words(findings.lapsing_spend, whole=True)} lifetime spend)"
                    if lapsing
                    else ""
                )
            ),
        )
        if len(lapsing) < min_cohort:
            return
        request = f"Asked: {ctx.intent.text!r}. " if asked and ctx.intent else ""
        build = ctx.propose(
            "segment.build",
            {
                "key": segment,
                "name": segment_name,
                "description": f"VIPs{bought} past {float(config['lapse_factor']):g}x their usual reorder interval "
                f"(as of {ctx.today:%Y-%m-%d}).",
                "rule": {"customer_ids": [c.customer_id for c in lapsing]},
            },
            rationale=f"{request}{entry.text}",
            evidence=[entry],
            confidence=0.85,
            priority=len(lapsing),
        )
        if not _built_now(ctx, build) or not audience_ready(ctx, segment):
            return
        copy = draft_email(
            ctx,
            purpose="win_back",
            facts={
                "orders": f"{min(c.orders for c in lapsing)}+",
                "segment": segment,
                **({"product": products[0].title} if products else {}),
            },
        )
        ctx.propose(
            "email.send_campaign",
            {
                "segment": segment,
                "name": f"Win-back: {segment_name.replace('Lapsing VIPs', 'lapsing VIPs')}"[:200],
                "subject": copy.subject,
                "body": copy.body,
                "scheduled_at": _slot(ctx, segment),
            },
            rationale=(
                f"{request}{entry.text}. A win-back e-mail to these {len(lapsing)} customers before they are lost; "
                f"their "
                f"lifetime spend is {money_words(findings.lapsing_spend, whole=True)}."
            ),
            evidence=[entry],
            confidence=0.75,
            priority=float(findings.lapsing_spend) / 100,
        )


@register
class Lifecycle(Specialist):
    key = "retention.lifecycle"
    division = "retention"
    name = "Lifecycle"
    description = (
        "Lifecycle e-mails and repeat purchase: the 30-day second-order rate of first-time buyers by month of "
        "their first order; when the latest month's rate falls below 60% of the three before, proposes a "
        "post-purchase e-mail to first-time buyers. Ask it about repeat orders, onboarding or post-purchase flows."
    )
    defaults = {
        "window_days": 30,
        "baseline_months": 3,
        "drop_ratio": 0.6,  # latest rate below 60% of the baseline's average
        "intent_drop_ratio": 1.0,  # asked about repeat buyers: any drop below the baseline
        "min_cohort_size": 20,
        "segment": "first-time-buyers",
        "send_hour": 10,
        "earliest_days": 1,
        "min_gap_hours": 24,
    }

    def run(self, ctx: RunContext) -> None:
        if ctx.feedback and revise_email_proposal(ctx) is not None:
            return
        # "Send the spring edit to the VIPs": a person's send to a segment they name, drafted as asked.
        if _honour_a_send(ctx):
            return
        config = ctx.config
        findings = lifecycle_analysis(ctx.today, config)
        latest, base, ratio = findings.latest, findings.baseline_rate, findings.drop_ratio
        segment = str(config["segment"])
        asked = focus.intent_text(ctx)
        about_repeat = any(phrase in asked for phrase in REPEAT_PHRASES)
        threshold = float(config["intent_drop_ratio"] if about_repeat else config["drop_ratio"])
        if latest.rate is None:
            return
        previous = ", ".join(f"{c.month:%b} {c.rate:.0%}" for c in findings.previous if c.rate is not None)
        entry = ctx.remember(
            key=f"segment:{segment}:second_order_rate",
            kind="metric",
            subject=f"First-time buyers of {latest.month:%B %Y}",
            data={
                "value": round(latest.rate, 3),
                "cohort": latest.month.isoformat(),
                "buyers": latest.buyers,
                "repeaters": latest.repeaters,
                "baseline": base and round(base, 3),
                "window_days": findings.window_days,
            },
            text=(
                f"{latest.repeaters} of {latest.buyers} first-time buyers of {latest.month:%B %Y} ordered again "
                f"within {findings.window_days} days ({latest.rate:.0%}) vs {base:.0%} on average before ({previous})"
                if base is not None
                else f"{latest.rate:.0%} second-order rate for the {latest.month:%B %Y} cohort"
            ),
        )
        if (
            ratio is None
            or ratio >= threshold
            or latest.buyers < int(config["min_cohort_size"])
            or not audience_ready(ctx, segment)
        ):
            return
        copy = draft_email(
            ctx,
            purpose="post_purchase",
            facts={"rate": f"{latest.rate:.0%}", "baseline": f"{base:.0%}"},
        )
        ctx.propose(
            "email.send_campaign",
            {
                "segment": segment,
                "name": f"Post-purchase: {latest.month:%B} first-time buyers",
                "subject": copy.subject,
                "body": copy.body,
                "scheduled_at": _slot(ctx, segment),
            },
            rationale=(
                (f"Asked: {ctx.intent.text!r}. " if about_repeat and ctx.intent else "")
                + f"Second-order rate dropped: {entry.text}, {ratio:.0%} of the baseline"
                + (
                    f" (milder than the {float(config['drop_ratio']):.0%} that raises it unasked)"
                    if ratio >= float(config["drop_ratio"])
                    else ""
                )
                + ". A post-purchase e-mail to first-time buyers to bring them back for a second order."
            ),
            evidence=[entry],
            confidence=0.7,
            priority=round((1 - ratio) * latest.buyers, 1),
        )
