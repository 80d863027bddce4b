"""Finance's specialists: the budget guard (spend pacing per channel) and the PO desk (draft POs).

The numbers and the decision to propose come from `brand.metrics.finance`; the LLM (or the
offline templates) only words the note that follows the numbers in each rationale.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agents.runtime.asks import parse_ask
from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from agents.specialists import focus
from approvals.selectors import busy_targets
from brand.metrics.figures import pct
from brand.metrics.finance import BudgetCap, ChannelPacing, budget_caps, channel_pacing, draft_purchase_orders
from brand.money import money_words

if TYPE_CHECKING:
    from brand.metrics.finance import DraftPO
    from memory.models import MemoryEntry


class Note(BaseModel):
    """A short sentence or two that follows the numbers in a rationale."""

    note: str = Field(max_length=600)


def _channel_label(channel: str) -> str:
    return {"meta": "Meta", "google": "Google", "tiktok": "TikTok", "pinterest": "Pinterest"}.get(channel, channel)


@register
class BudgetGuard(Specialist):
    key = "finance.budget_guard"
    division = "finance"
    name = "Budget guard"
    description = (
        "Month-to-date ad spend pacing per channel (Meta, Google, TikTok, Pinterest) against finance's monthly "
        "channel budgets; caps the daily budgets of an overspending channel's campaigns so that the channel lands "
        "on its budget by the end of the month. Ask it about overspend, pacing, budget caps, spend limits."
    )
    instructions = "You are a careful finance controller explaining why an ad channel's daily budgets must come down."
    defaults = {
        "pacing_threshold": 1.15,  # cap a channel spending 15% ahead of its prorated budget
        "focus_pacing_threshold": 1.02,  # when a person names the channel
        "min_budget_fraction": 0.2,  # never cap a campaign below a fifth of its budget: pausing is another decision
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        cfg = ctx.config
        asked = focus.intent_text(ctx)
        pacings = channel_pacing(ctx.today, cfg)
        if not pacings:
            # No channel budget on record (an ads export never carries one): nothing to pace against.
            ctx.warn("no channel budget for this month: spend pacing not judged")
        entries = {}
        for p in pacings:
            entries[p.channel] = ctx.remember(
                key=f"channel:{p.channel}:pacing",
                kind="metric",
                subject=_channel_label(p.channel),
                text=(
                    f"{_channel_label(p.channel)} has spent {money_words(p.mtd_spend)} of its {money_words(p.budget)} "
                    f"{calendar.month_name[p.month.month]} budget after {p.days_elapsed} of {p.days_in_month} days: "
                    f"pacing at {pct(p.ratio)} of the prorated {money_words(p.expected_spend)}."
                ),
                data={
                    "value": p.ratio,
                    "mtd_spend": float(p.mtd_spend),
                    "budget": float(p.budget),
                    "expected_spend": float(p.expected_spend),
                    "month": p.month.isoformat(),
                    "days_elapsed": p.days_elapsed,
                    "days_in_month": p.days_in_month,
                    "daily_allowance": float(p.daily_allowance),
                },
                evidence=[{"model": "brand.channelbudget", "pk": p.budget_id}],
            )

        revising = focus.sent_back_args(ctx)
        caps: list[tuple[BudgetCap, ChannelPacing]] = []
        taken = busy_targets(action_type="ads.set_daily_budget", agent_key=self.key)
        for p in pacings:
            named = focus.mentions(asked, p.channel, _channel_label(p.channel))
            threshold = cfg["focus_pacing_threshold"] if named else cfg["pacing_threshold"]
            if asked and not named and not revising:
                continue  # a request about another channel: stay on what was asked
            if p.ratio < float(threshold):
                continue
            for cap in budget_caps(p, min_budget_fraction=float(cfg["min_budget_fraction"])):
                if f"campaign:{cap.campaign_id}" not in taken or revising.get("campaign_id") == cap.campaign_id:
                    caps.append((cap, p))
        if revising:
            caps = [(c, p) for c, p in caps if c.campaign_id == revising.get("campaign_id")] or caps
        caps.sort(key=lambda cp: cp[0].cut * cp[1].days_left, reverse=True)
        for cap, p in focus.pick(caps, cfg["max_proposals"]):
            self._propose(ctx, cap, p, entries[p.channel])

    def _propose(self, ctx: RunContext, cap: BudgetCap, p: ChannelPacing, entry: MemoryEntry) -> None:
        proposed = cap.proposed
        asked_for = parse_ask(focus.feedback_comment(ctx)).amount
        if asked_for is not None and asked_for > 0:
            proposed = asked_for.quantize(Decimal("0.01"))
        channel = _channel_label(p.channel)
        numbers = (
            f"{channel} is pacing at {pct(p.ratio)}: {money_words(p.mtd_spend)} spent of a {money_words(p.budget)} "
            f"monthly budget "
            f"after {p.days_elapsed} of {p.days_in_month} days (prorated {money_words(p.expected_spend)}). "
            f"{money_words(max(p.remaining, Decimal(0)))} is left for {p.days_left} days, "
            f"{money_words(p.daily_allowance)} a day, "
            f"while its active campaigns are budgeted {money_words(p.active_daily_budget)} a day "
            f"(projected month {money_words(p.projected_spend)}). Cap {cap.name}: {money_words(cap.current)} -> "
            f"{money_words(proposed)} a day."
        )
        if not next((c.budget_known for c in p.campaigns if c.campaign_id == cap.campaign_id), True):
            numbers += (
                f" {cap.name} has no daily budget on record (the ads export carries none): "
                f"{money_words(cap.current)} is what it is seen to spend, the median of its last 7 days."
            )
        if asked_for is not None:
            numbers += f" Revised as asked: {focus.feedback_comment(ctx)!r}."
        facts = {
            "channel": channel,
            "pacing": p.ratio,
            "mtd_spend": p.mtd_spend,
            "budget": p.budget,
            "campaign": cap.name,
            "daily_budget_now": cap.current,
            "daily_budget_proposed": proposed,
            "days_left": p.days_left,
            "feedback": focus.feedback_comment(ctx),
        }
        note = ctx.write(
            Note,
            task="In one or two sentences, say why this campaign's daily budget should be capped. Cite no new numbers.",
            facts=facts,
            offline=lambda: Note(
                note=f"Every active {channel} campaign is scaled by the same factor, so the mix stays growth's call "
                "and the total lands on finance's budget."
            ),
            purpose="budget cap rationale",
        )
        ctx.propose(
            "ads.set_daily_budget",
            {"campaign_id": cap.campaign_id, "daily_budget": str(proposed)},
            rationale=f"{numbers} {note.note}".strip(),
            evidence=[entry],
            confidence=0.85 if p.ratio >= 1.25 else 0.7,
            priority=float((cap.current - proposed) * p.days_left),
        )


@register
class PODesk(Specialist):
    key = "finance.po_desk"
    division = "finance"
    name = "PO desk"
    description = (
        "Reviews draft purchase orders: their total and cash impact, the supplier's payment terms (net days), the "
        "cash due date and the expected arrival against the days of cover of their SKUs, and proposes to confirm "
        "them. Ask it about purchase orders, suppliers, cash commitments, confirming a PO."
    )
    instructions = "You are the finance team's buyer's assistant explaining a purchase order's cash impact."
    defaults = {
        "min_age_days": 1,  # give the buyer a day to edit a fresh draft before confirming it
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        cfg = ctx.config
        asked = focus.intent_text(ctx)
        report = draft_purchase_orders(ctx.today, cfg)
        if self._honour_a_reorder(ctx, report.drafts):
            return
        taken = busy_targets(action_type="po.confirm")
        revising = focus.sent_back_args(ctx).get("po")
        candidates = []
        for po in report.drafts:
            covers = []
            for line in po.lines:
                entry = ctx.current(f"sku:{line.sku}:days_of_cover")
                if entry is not None and entry.has_value and entry.value is not None:
                    covers.append((float(entry.value), line.sku, entry))
            covers.sort(key=lambda c: c[0])
            entry = ctx.remember(
                key=f"po:{po.number}:cash_impact",
                kind="metric",
                subject=po.number,
                text=(
                    f"{po.number} ({po.supplier}) is a draft worth {money_words(po.total)}; confirmed today it is due "
                    f"{po.cash_due:%Y-%m-%d} (net {po.payment_terms_days}) and arrives about "
                    f"{po.expected_arrival:%Y-%m-%d}."
                ),
                data={
                    "value": float(po.total),
                    "supplier": po.supplier,
                    "payment_terms_days": po.payment_terms_days,
                    "cash_due": po.cash_due.isoformat(),
                    "expected_arrival": po.expected_arrival.isoformat(),
                    "age_days": po.age_days,
                    "committed_before": float(report.committed),
                },
                evidence=[{"model": "brand.purchaseorder", "pk": po.po_id}],
            )
            named = focus.mentions(asked, po.number, po.supplier)
            if asked and not named and revising != po.number:
                continue
            min_age = 0 if named or revising == po.number else int(cfg["min_age_days"])
            if po.age_days < min_age or (f"po:{po.number}" in taken and revising != po.number):
                continue
            if not po.meets_minimum:
                ctx.warn(
                    f"{po.number}: {money_words(po.total)} is under {po.supplier}'s minimum order of "
                    f"{money_words(po.minimum_order_value)}; not proposed for confirmation."
                )
                continue
            candidates.append((po, covers, entry))
        # Most urgent first: the SKU with the fewest days of cover against the PO's arrival.
        candidates.sort(key=lambda c: (c[1][0][0] if c[1] else float("inf"), -c[0].age_days))
        for po, covers, entry in focus.pick(candidates, cfg["max_proposals"]):
            self._propose(ctx, po, covers, entry, report.committed)

    def _honour_a_reorder(self, ctx: RunContext, drafts: Sequence[DraftPO]) -> bool:
        """ "Order 50 more of the blue kettle" reaches finance by its words ("order"): a reorder of a product
        is drafted as asked, as Inventory would (its configuration, its helper), unless the request names a
        draft PO of ours to confirm. False when the request asks for no reorder of a named product."""
        from agents.models import Agent
        from agents.specialists.operations import Inventory
        from agents.specialists.reorder_requests import REORDER, honour_reorder_request
        from brand.metrics.operations import inventory_analysis

        if ctx.intent is None or not REORDER.search(ctx.intent.text):
            return False
        if any(focus.mentions(ctx.intent.text.lower(), po.number, po.supplier) for po in drafts):
            return False
        stored = Agent.objects.filter(key=Inventory.key).values_list("config", flat=True).first()
        config = {**Inventory.defaults, **(stored or {})}
        findings = inventory_analysis(ctx.today, config)
        return honour_reorder_request(ctx, findings.skus, target_cover_days=int(config["target_cover_days"]))

    def _propose(
        self,
        ctx: RunContext,
        po: DraftPO,
        covers: list[tuple[float, str, MemoryEntry]],
        entry: MemoryEntry,
        committed: Decimal,
    ) -> None:
        skus = ", ".join(f"{line.sku} x {line.quantity}" for line in po.lines)
        numbers = (
            f"{po.number} to {po.supplier}: {money_words(po.total)} for {skus}; waiting as a draft for {po.age_days} "
            f"days. "
            f"Supplier terms net {po.payment_terms_days}: confirmed today, {money_words(po.total)} is due on "
            f"{po.cash_due:%Y-%m-%d}; "
            f"expected arrival {po.expected_arrival:%Y-%m-%d} ({po.lead_time_days}-day lead time). "
            f"Confirmed POs already commit {money_words(committed)}; this brings open commitments to "
            f"{money_words(committed + po.total)}."
        )
        evidence = [entry]
        if covers:
            arrives_in = (po.expected_arrival - ctx.today).days
            cover_text = "; ".join(f"{sku} has {days:.0f} days of cover" for days, sku, _ in covers[:3])
            late = [sku for days, sku, _ in covers if days < arrives_in]
            numbers += f" {cover_text} vs {arrives_in} days to arrival"
            numbers += f" ({', '.join(late)} will run out first)." if late else "."
            evidence += [e for _, _, e in covers[:3]]
        note = ctx.write(
            Note,
            task="In one or two sentences, advise whether to confirm this purchase order now. Cite no new numbers.",
            facts={
                "po": po.number,
                "supplier": po.supplier,
                "total": po.total,
                "terms_days": po.payment_terms_days,
                "cash_due": po.cash_due,
                "arrival": po.expected_arrival,
                "feedback": focus.feedback_comment(ctx),
            },
            offline=lambda: Note(
                note="Confirming now starts the supplier's lead time; the cash leaves only at the due date."
            ),
            purpose="PO confirmation rationale",
        )
        ctx.propose(
            "po.confirm",
            {"po": po.number},
            rationale=f"{numbers} {note.note}".strip(),
            evidence=evidence,
            confidence=0.75,
            priority=float(po.total) / 100 + (50 if covers and covers[0][0] < po.lead_time_days else 0),
        )
