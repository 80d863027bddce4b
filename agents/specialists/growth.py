"""Growth: paid media (moves budget from weak to strong campaigns) and promotions (under-promoted products).

Decisions come from `brand.metrics.growth`; the prose of e-mails from the copywriter. Before
raising a budget, paid media reads operations' `sku:<SKU>:days_of_cover` from memory and never
scales a campaign whose product runs out before its next delivery.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from agents.runtime.asks import parse_ask
from agents.runtime.base import RunContext, Specialist
from agents.runtime.context import Proposal
from agents.runtime.registry import register
from agents.specialists.campaign_requests import honour_campaign_request
from agents.specialists.creative import audience_ready, draft_email, revise_email_proposal
from brand.metrics.growth import (
    CampaignRoas,
    EvidenceGap,
    PromotionCandidate,
    paid_media_analysis,
    promotions_analysis,
)
from brand.metrics.operations import DEFAULT_LEAD_TIME_DAYS, free_send_slot, sku_cover
from brand.money import money_words

WHOLE = Decimal("1")


def _roas(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _named(ctx: RunContext, names: list[str]) -> set[str]:
    if ctx.intent is None:
        return set()
    text = ctx.intent.text.lower()
    return {n for n in names if n.lower() in text or n.split(" - ")[0].lower() in text}


@register
class PaidMedia(Specialist):
    key = "growth.paid_media"
    division = "growth"
    name = "Paid media"
    description = (
        "Paid advertising budgets: ROAS and marginal ROAS per ad campaign over 7 and 28 days. Cuts the daily "
        "budget of a campaign whose 7-day ROAS fell below half its 28-day ROAS and moves the same amount to an "
        "under-funded winner (high ROAS, spending its whole budget), keeping the total constant; never scales "
        "a campaign whose product is about to run out. Ask it about ad spend, scaling, ROAS, Meta, Google or "
        "TikTok campaigns and budgets."
    )
    defaults = {
        "weak_ratio": 0.5,  # 7-day ROAS below this share of the 28-day ROAS
        # Enough to judge, in the shop's own terms (no dollar amount suits a $20-a-day shop and a $20,000 one):
        "min_spend_share": 0.02,  # at least 2% of the account's ad spend over 28 days
        "min_purchases_28d": 12,  # and a dozen purchases over 28 days (fewer: a halved ROAS is chance)
        "winner_min_roas": 4.0,
        "capped_fraction": 0.95,  # spend at or above this share of the daily budget ...
        "capped_window_days": 14,  # ... on every one of these days: under-funded
        "capped_min_days": 14,
        "cut_fraction": 0.3,  # share of the weak campaign's budget that moves
        "max_raise_fraction": 0.5,  # the winner grows by at most half its budget
        "intent_weak_ratio": 0.75,
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        if ctx.feedback and self._revise(ctx):
            return
        config = dict(ctx.config)
        findings = paid_media_analysis(ctx.today, config)
        if ctx.intent is not None and honour_campaign_request(ctx, findings.campaigns, config):
            return
        named = _named(ctx, [c.name for c in findings.campaigns])
        if named:
            config["weak_ratio"] = max(float(config["weak_ratio"]), float(config["intent_weak_ratio"]))
            findings = paid_media_analysis(ctx.today, config)
        facts: list[dict] = []
        spending = [c for c in findings.campaigns if c.spend_28d > 0]
        for c in spending:
            evidence = [{"model": "brand.adcampaign", "pk": c.campaign_id}]
            facts.append(
                dict(
                    key=f"campaign:{c.campaign_id}:roas_28d",
                    kind="metric",
                    subject=c.name,
                    data={
                        "value": round(c.roas_28d or 0, 2),
                        "spend": str(c.spend_28d),
                        "revenue": str(c.revenue_28d),
                        "purchases": c.purchases_28d,
                        "account_spend": str(findings.account_spend_28d),
                    },
                    evidence=evidence,
                    text=f"{c.name}: 28-day ROAS {_roas(c.roas_28d)} on {money_words(c.spend_28d, whole=True)} spend",
                )
            )
            facts.append(
                dict(
                    key=f"campaign:{c.campaign_id}:roas_7d",
                    kind="metric",
                    subject=c.name,
                    data={
                        "value": round(c.roas_7d or 0, 2),
                        "spend": str(c.spend_7d),
                        "revenue": str(c.revenue_7d),
                        "marginal_roas": None if c.marginal_roas is None else round(c.marginal_roas, 2),
                        "capped_days": c.capped_days,
                    },
                    evidence=evidence,
                    text=f"{c.name}: 7-day ROAS {_roas(c.roas_7d)} on {money_words(c.spend_7d, whole=True)} spend",
                )
            )
        written = ctx.remember_many(facts)
        for gap in findings.too_small:
            self._too_small(ctx, gap, findings.account_spend_28d)
        # Two facts per campaign, 28-day then 7-day: proposals cite the 7-day one.
        entries: dict[int, Any] = {c.campaign_id: written[2 * i + 1] for i, c in enumerate(spending)}
        weak = [c for c in findings.weak if not named or c.name in named]
        winners = [w for w in findings.winners if self._can_scale(ctx, w)]
        budget = int(config["max_proposals"])
        for c in weak:
            if budget <= 0:
                ctx.warn(
                    f"{c.name}: ROAS fell (7d {_roas(c.roas_7d)} vs 28d {_roas(c.roas_28d)}) but not proposed, "
                    f"past the {config['max_proposals']} proposals of a run (max_proposals)"
                )
                continue
            current = c.effective_budget
            assumed = (
                ""
                if c.budget_known
                else f" The export carries no daily budget; the effective one is {money_words(current, whole=True)}, "
                "the median of the last 7 days' spend."
            )
            winner = winners.pop(0) if winners and budget >= 2 else None
            cut = (current * Decimal(str(config["cut_fraction"]))).quantize(WHOLE, rounding=ROUND_HALF_UP)
            if winner is not None:
                cut = min(cut, (winner.daily_budget * Decimal(str(config["max_raise_fraction"]))).quantize(WHOLE))
            spent = money_words(c.spend_7d, whole=True)
            weak_text = (
                f"{c.name}: ROAS 7d {_roas(c.roas_7d)} vs 28d {_roas(c.roas_28d)} on {spent} spend in "
                f"7 days (marginal ROAS {_roas(c.marginal_roas)}; {findings.share(c):.1%} of the account's "
                f"{money_words(findings.account_spend_28d, whole=True)} ad spend and {c.purchases_28d} purchases "
                "over 28 days)"
            )
            priority = float(max(cut, current)) * ((c.roas_28d or 0) - (c.roas_7d or 0))
            if cut <= 0 or cut >= current:
                # No smaller budget can be written (too small to cut, or nothing observed): stop it instead.
                ctx.propose(
                    "ads.pause_campaign",
                    {"campaign_id": c.campaign_id},
                    rationale=f"{weak_text}.{assumed} A {float(config['cut_fraction']):.0%} cut of "
                    f"{money_words(current, whole=True)} a day cannot be expressed as a smaller budget, so pause it; "
                    "at the current pace it keeps "
                    f"spending about {money_words(c.spend_7d / 7, whole=True)} a day at ROAS {_roas(c.roas_7d)}.",
                    evidence=[entries[c.campaign_id]],
                    confidence=0.7,
                    priority=priority,
                )
                budget -= 1
                if winner is not None:
                    winners.insert(0, winner)
                continue
            move = f"; the {money_words(cut, whole=True)} moves to {winner.name}" if winner else ""
            ctx.propose(
                "ads.set_daily_budget",
                {"campaign_id": c.campaign_id, "daily_budget": str(current - cut)},
                rationale=f"{weak_text}.{assumed} Cut its daily budget {money_words(current, whole=True)} -> "
                f"{money_words(current - cut, whole=True)}{move}; at the current pace each "
                f"{money_words(cut, whole=True)} a day kept here would return about "
                f"{money_words(cut * Decimal(str(round(c.roas_7d or 0, 2))), whole=True)}.",
                evidence=[entries[c.campaign_id]],
                confidence=0.75,
                priority=priority,
            )
            budget -= 1
            if winner is not None:
                before = money_words(winner.daily_budget, whole=True)
                after = money_words(winner.daily_budget + cut, whole=True)
                ctx.propose(
                    "ads.set_daily_budget",
                    {"campaign_id": winner.campaign_id, "daily_budget": str(winner.daily_budget + cut)},
                    rationale=(
                        f"{winner.name}: ROAS 28d {_roas(winner.roas_28d)}, 7d {_roas(winner.roas_7d)}, last 3 days "
                        f"{_roas(winner.roas_3d)}, spending >= {float(config['capped_fraction']):.0%} of its "
                        f"{before} budget on {winner.capped_days} of the last "
                        f"{winner.window_days} days: under-funded. Raise it "
                        f"{before} -> {after} with the {money_words(cut, whole=True)} cut "
                        f"from {c.name} (ROAS 7d {_roas(c.roas_7d)}); the total daily budget stays the same."
                    ),
                    evidence=[entries[winner.campaign_id], entries[c.campaign_id]],
                    confidence=0.7,
                    priority=priority,
                )
                budget -= 1
        for w in winners:
            ctx.warn(
                f"{w.name}: under-funded winner (ROAS 28d {_roas(w.roas_28d)}) not raised: no weak campaign "
                "frees budget for it, and the total daily budget stays the same"
            )

    def _too_small(self, ctx: RunContext, gap: EvidenceGap, account: Decimal) -> None:
        """A fall too small to judge is said, not dropped: an observation and a warning on the run."""
        c, cfg = gap.campaign, ctx.config
        reasons = []
        if gap.too_little_spend:
            reasons.append(
                f"{money_words(c.spend_28d, whole=True)} over 28 days, {gap.share:.1%} of the account's "
                f"{money_words(account, whole=True)} (under {gap.min_share:.0%}, min_spend_share)"
            )
        if gap.too_few_purchases:
            reasons.append(f"{c.purchases_28d} purchases over 28 days (under {gap.min_purchases}, min_purchases_28d)")
        text = (
            f"{c.name}: ROAS 7d {_roas(c.roas_7d)} vs 28d {_roas(c.roas_28d)}, under "
            f"{float(cfg['weak_ratio']):.0%} of it, but too little to judge: {'; '.join(reasons)}. No budget change "
            "proposed."
        )
        ctx.remember(
            key=f"campaign:{c.campaign_id}:too_small_to_judge",
            kind="observation",
            subject=c.name,
            text=text,
            data={
                "value": round(gap.share, 4),
                "spend_28d": str(c.spend_28d),
                "account_spend_28d": str(account),
                "purchases_28d": c.purchases_28d,
                "min_spend_share": gap.min_share,
                "min_purchases_28d": gap.min_purchases,
            },
            evidence=[{"model": "brand.adcampaign", "pk": c.campaign_id}],
        )
        ctx.warn(text)

    def _can_scale(self, ctx: RunContext, campaign: CampaignRoas) -> bool:
        """False when operations says (or would say) a SKU of the campaign runs out before its next delivery."""
        unknown: list[str] = []
        for sku in campaign.skus:
            entry = ctx.current(f"sku:{sku}:days_of_cover")
            if entry is None:
                unknown.append(sku)
            elif entry.data.get("runs_out_before_delivery"):
                ctx.remember(
                    kind="observation",
                    subject=campaign.name,
                    text=(
                        f"Not scaling {campaign.name} (ROAS 28d {_roas(campaign.roas_28d)}): {sku} runs out before "
                        f"its next delivery ({entry.text})."
                    ),
                    evidence=[{"memory": entry.pk}],
                )
                return False
        if unknown:
            # Operations has not written this SKU's cover yet in this cycle: compute it the same way.
            for s in sku_cover(ctx.today, default_lead_time_days=DEFAULT_LEAD_TIME_DAYS):
                if s.sku in unknown and s.runs_out_before_delivery:
                    ctx.remember(
                        kind="observation",
                        subject=campaign.name,
                        text=(
                            f"Not scaling {campaign.name}: {s.sku} has {s.days_of_cover} days of cover vs "
                            f"{s.days_to_delivery} days to its next delivery."
                        ),
                        evidence=[{"model": "brand.variant", "pk": s.variant_id}],
                    )
                    return False
        return True

    def _revise(self, ctx: RunContext) -> bool:
        """A send-back of one of our budget moves: propose the amount the comment names."""
        if ctx.feedback is None:
            return False
        proposal, comment = ctx.feedback.get("proposal"), ctx.feedback.get("comment", "")
        if proposal is None or proposal.action_type != "ads.set_daily_budget":
            return False
        amount = parse_ask(comment).amount
        if amount is None:
            ctx.warn(f"send-back comment {comment!r} names no amount ($...); the analysis runs again instead")
            return False
        args = {**proposal.args, "daily_budget": str(amount.quantize(Decimal("0.01")))}
        ctx.propose(
            "ads.set_daily_budget",
            args,
            rationale=f"Revised after the send-back comment {comment!r}: daily budget {money_words(amount)}. "
            f"Earlier rationale: {proposal.rationale}",
            evidence=list(proposal.evidence.all()),
            confidence=proposal.confidence,
            priority=proposal.priority,
            revision_of=proposal,
        )
        return True


@register
class Promotions(Specialist):
    key = "growth.promotions"
    division = "growth"
    name = "Promotions"
    description = (
        "Promotions and discounts that drive demand: finds high-margin products that sell well (top quartile of "
        "units) but get little paid exposure (no active campaign or discount), and proposes a discount code with "
        "a drafted e-mail in a free calendar slot. Ask it to push a product, run a sale or promote an item."
    )
    defaults = {
        "min_margin": 0.6,
        "top_fraction": 0.25,  # units sold in the last 28 days in the top quartile of SKUs
        "min_units_28d": 10,
        "min_cover_days": 30,  # enough stock to carry the extra demand
        "percent_off": 15,
        "promo_days": 7,
        "segment": "all-subscribers",
        "send_hour": 10,
        "earliest_days": 2,
        "min_gap_hours": 24,
        "max_candidates": 1,  # each candidate is two proposals (discount + e-mail)
        "intent_min_margin": 0.45,
    }

    def run(self, ctx: RunContext) -> None:
        if ctx.feedback and self._revise(ctx):
            return
        config = dict(ctx.config)
        findings = promotions_analysis(ctx.today, config)
        candidates = findings.candidates
        if ctx.intent is not None:
            relaxed = {**config, "min_margin": config["intent_min_margin"], "top_fraction": 1.0, "min_units_28d": 1}
            everything = promotions_analysis(ctx.today, relaxed).candidates
            text = ctx.intent.text.lower()
            named = [c for c in everything if c.title.lower() in text or c.sku.lower() in text]
            if named:
                candidates = named
        for c in candidates[: int(config["max_candidates"])]:
            self._propose(ctx, c, config, percent=float(config["percent_off"]))

    def _propose(
        self,
        ctx: RunContext,
        c: PromotionCandidate,
        config: dict[str, Any],
        *,
        percent: float,
        revision_of: dict[str, Any] | None = None,
    ) -> None:
        entry = ctx.remember(
            key=f"product:{c.handle}:promotion_gap",
            kind="observation",
            subject=c.title,
            data={
                "value": round(c.margin, 3),
                "units_28d": c.units_28d,
                "rank": c.rank,
                "skus_ranked": c.skus_ranked,
                "days_of_cover": c.days_of_cover and round(c.days_of_cover, 1),
            },
            evidence=[{"model": "brand.variant", "pk": c.variant_id}],
            text=(
                f"{c.sku} {c.title}: {c.margin:.0%} margin, {c.units_28d} units in 28 days (#{c.rank} of "
                f"{c.skus_ranked} SKUs), promoted by no active campaign or discount"
            ),
        )
        segment = str(config["segment"])
        if not audience_ready(ctx, segment):
            return  # a discount nobody is told about is not proposed either
        slot = free_send_slot(
            ctx.today,
            segment,
            earliest_days=int(config["earliest_days"]),
            hour=int(config["send_hour"]),
            min_gap_hours=float(config["min_gap_hours"]),
        )
        ends = slot + dt.timedelta(days=int(config["promo_days"]))
        pct = f"{percent:g}"
        code = f"{c.sku.replace('-', '')}SAVE{pct.replace('.', '')}"
        price, cost = money_words(c.price), money_words(c.cost)
        why = (
            f"{c.sku} {c.title}: {c.margin:.0%} margin (({price} - {cost}) / {price}), {c.units_28d} units "
            f"in the last 28 days (#{c.rank} of {c.skus_ranked} SKUs, top quartile) and no active campaign or "
            f"discount promotes it; {c.days_of_cover:.0f} days of cover carry the extra demand."
        )
        revisions = revision_of or {}
        # The copy is drafted first: no LLM call inside the pair's transaction.
        copy = draft_email(
            ctx,
            purpose="promotion",
            facts={"product": c.title, "percent": pct, "code": code, "ends": f"{ends:%A %B %d}"},
        )
        # A discount nobody announces, or an announcement of a code that does not exist, is worse
        # than neither: the two are proposed together or not at all.
        ctx.propose_together(
            Proposal(
                "pricing.create_discount",
                {
                    "code": code,
                    "percent_off": pct,
                    "skus": [c.sku],
                    "starts_at": slot.isoformat(),
                    "ends_at": ends.isoformat(),
                },
                rationale=f"{why} {pct}% off with code {code} from {slot:%a %b %d}, {config['promo_days']} days, "
                f"announced by e-mail to {segment} that morning (a slot with no other send within 24 h).",
                evidence=[entry],
                confidence=0.65,
                priority=round(c.margin * c.units_28d, 1),
                revision_of=revisions.get("pricing.create_discount"),
            ),
            Proposal(
                "email.send_campaign",
                {
                    "segment": segment,
                    "name": f"Promotion: {c.title} {pct}% off"[:200],
                    "subject": copy.subject,
                    "body": copy.body,
                    "scheduled_at": slot.isoformat(),
                },
                rationale=f"Announces {code} ({pct}% off {c.title}). {why}",
                evidence=[entry],
                confidence=0.6,
                priority=round(c.margin * c.units_28d, 1),
                revision_of=revisions.get("email.send_campaign"),
            ),
        )

    def _revise(self, ctx: RunContext) -> bool:
        if ctx.feedback is None:
            return False
        proposal, comment = ctx.feedback.get("proposal"), ctx.feedback.get("comment", "")
        if proposal is None:
            return False
        if proposal.action_type == "email.send_campaign":
            return revise_email_proposal(ctx) is not None
        if proposal.action_type != "pricing.create_discount":
            return False
        percent = parse_ask(comment).percent
        if percent is None:
            ctx.warn(f"send-back comment {comment!r} names no percentage; the analysis runs again instead")
            return False
        config = dict(ctx.config)
        relaxed = {**config, "min_margin": 0, "top_fraction": 1.0, "min_units_28d": 0, "min_cover_days": 0}
        skus = set(proposal.args.get("skus") or [])
        candidate = next((c for c in promotions_analysis(ctx.today, relaxed).candidates if c.sku in skus), None)
        if candidate is None:
            ctx.warn(f"{', '.join(sorted(skus))} is no longer a promotion candidate (promoted or discounted since)")
            return True
        from approvals.models import ProposedAction

        sibling = (
            ProposedAction.objects.filter(agent_run=proposal.agent_run, action_type="email.send_campaign")
            .order_by("pk")
            .first()
        )
        self._propose(
            ctx,
            candidate,
            config,
            percent=float(percent),
            revision_of={"pricing.create_discount": proposal, "email.send_campaign": sibling},
        )
        return True
