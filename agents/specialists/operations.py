"""Operations: inventory (cover vs lead time -> draft PO, pause ads pushing a SKU that runs out) and calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from agents.specialists import focus
from agents.specialists.reorder_requests import honour_reorder_request
from brand.clock import brand_tz, day_start
from brand.metrics.operations import (
    DEFAULT_LEAD_TIME_DAYS,
    CalendarEntry,
    SkuCover,
    calendar_analysis,
    inventory_analysis,
    order_history_days,
)


def _cover_text(s: SkuCover) -> str:
    """The numbers a stock-out rests on, the pace used, what was assumed and the counterfactual."""
    if s.rising:
        pace = (
            f"{s.units_7d} sold in the last 7 days, well above the {s.base_days}-day pace of {s.base_units}: "
            "cover on the recent rate"
        )
    elif s.steady:
        pace = f"{s.units_long} sold in {s.long_days} days, the pace of the last 28 too ({s.units_28d})"
    else:
        pace = f"{s.units_28d} sold in 28 days"
    lead = (
        f"lead time unknown; assuming {s.lead_time_days} days"
        if s.lead_time_assumed
        else f"lead time {s.lead_time_days} days"
    )
    text = (
        f"{s.sku} {s.title} has {s.days_of_cover} days of cover ({s.stock} in stock, {pace}) "
        f"vs {s.days_to_delivery} days to its next delivery ({lead}, {s.supplier_name or 'no supplier'})"
    )
    if s.runs_out_on is not None and s.delivery_on is not None:
        text += (
            f"; at the current pace the stock lasts until {s.runs_out_on:%d %B}, the next delivery could arrive on "
            f"{s.delivery_on:%d %B}"
        )
    return text


@register
class Inventory(Specialist):
    key = "operations.inventory"
    division = "operations"
    name = "Inventory"
    description = (
        "Stock and reorders: days of cover per SKU (stock over the 28-day sales rate) against the supplier's "
        "lead time. When a SKU runs out before a new delivery could arrive it drafts a purchase order, and "
        "pauses the live ad campaigns that push it. Ask it about stock-outs, overstock, reorders, purchase "
        "orders, suppliers or lead times."
    )
    defaults = {
        "sales_window_days": 28,
        "min_units_28d": 5,
        "target_cover_days": 30,  # a reorder covers the lead time plus this much
        "default_lead_time_days": DEFAULT_LEAD_TIME_DAYS,  # when neither the SKU nor a supplier says
        "recent_rate_ratio": 1.5,  # the 7-day rate replaces the 28-day one when this many times higher
        "min_history_days": 14,  # fewer days of orders than this: no rate to trust, no proposal
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        config = ctx.config
        history = order_history_days(ctx.today)
        if history < int(config["min_history_days"]):
            reason = (
                f"only {history} days of order history; a sales rate needs at least {config['min_history_days']}, "
                "so no cover and no reorder is proposed yet"
            )
            ctx.remember(kind="observation", subject="Inventory", text=f"Inventory not judged: {reason}.")
            ctx.warn(reason)
            return
        findings = inventory_analysis(ctx.today, config)
        target_cover = int(config["target_cover_days"])
        if ctx.intent is not None and honour_reorder_request(ctx, findings.skus, target_cover_days=target_cover):
            return
        at_risk = findings.at_risk
        if ctx.intent is not None:
            text = ctx.intent.text.lower()
            named = {s.sku for s in findings.skus if s.sku.lower() in text or s.title.lower() in text}
            if named:
                at_risk = [s for s in at_risk if s.sku in named]
        # Cover of the at-risk SKUs and of every SKU a live campaign pushes: what paid media reads.
        covered = [s for s in findings.skus if s in at_risk or (s.campaigns and s.days_of_cover is not None)]
        written = ctx.remember_many(
            dict(
                key=f"sku:{s.sku}:days_of_cover",
                kind="metric",
                subject=f"{s.sku} {s.title}",
                data={
                    "value": s.days_of_cover,
                    "lead_time_days": s.lead_time_days,
                    "runs_out_before_delivery": s.runs_out_before_delivery,
                    "stock": s.stock,
                    "units_28d": s.units_28d,
                    "days_to_delivery": s.days_to_delivery,
                    # Said only when so: the headline must not name a supplier's lead time that is a guess.
                    **({"lead_time_assumed": True} if s.lead_time_assumed else {}),
                },
                evidence=[{"model": "brand.variant", "pk": s.variant_id}],
                text=_cover_text(s),
            )
            for s in covered
        )
        entries: dict[str, Any] = {s.sku: entry for s, entry in zip(covered, written, strict=True)}
        proposals: list[tuple[float, str, dict, str, list, float]] = []
        by_supplier: dict[str, list[SkuCover]] = defaultdict(list)
        unsourced: list[SkuCover] = []
        target = int(config["target_cover_days"])
        for s in at_risk:
            # A draft PO already waiting for this SKU is the PO desk's; no second one.
            if s.draft_po_units:
                ctx.warn(f"{s.sku}: runs out first, but a draft PO for {s.draft_po_units} units already waits")
            elif s.reorder_units(target) <= 0:
                ctx.warn(f"{s.sku}: runs out first, but open POs ({s.incoming_units} units) already cover a reorder")
            elif s.supplier_name:
                by_supplier[s.supplier_name].append(s)
            else:
                unsourced.append(s)
            urgency = float((s.days_to_delivery or 0) - (s.days_of_cover or 0))
            for campaign in s.campaigns:
                proposals.append(
                    (
                        urgency + 1,  # stopping the ads is the faster relief: first
                        "ads.pause_campaign",
                        {"campaign_id": campaign.campaign_id},
                        f"{campaign.name} ({campaign.channel}) is live and pushes {s.sku}, which runs out first: "
                        f"{_cover_text(s)}. Pause it until stock arrives rather than pay for demand we cannot ship.",
                        [entries[s.sku]],
                        0.85,
                    )
                )
        if unsourced:
            # A purchase order names its supplier, and the data has none: the reorder is drafted as a
            # brief that asks a person to pick one (the PO itself cannot be expressed without it).
            lines = [{"sku": s.sku, "quantity": s.reorder_units(target)} for s in unsourced]
            words = "; ".join(
                f"{_cover_text(s)}: reorder {s.reorder_units(target)} for {s.lead_time_days} + {target} days"
                for s in unsourced
            )
            proposals.append(
                (
                    max(float((s.days_to_delivery or 0) - (s.days_of_cover or 0)) for s in unsourced),
                    "brief.draft",
                    {
                        "title": f"Reorder needed, supplier to pick: {', '.join(s.sku for s in unsourced)}"[:200],
                        "body": f"{words}. No supplier is on record for these SKUs, so no purchase order can be "
                        "drafted: pick the supplier and place the order (or record the supplier in Atlas and the "
                        "next cycle drafts the PO).",
                        "data": {"lines": lines, "reason": "no supplier"},
                    },
                    f"{words}. No supplier on record: a person picks one; a PO cannot name none.",
                    [entries[s.sku] for s in unsourced],
                    0.8,
                )
            )
        for supplier, skus in by_supplier.items():
            lines = [
                {
                    "sku": s.sku,
                    "quantity": s.reorder_units(target),
                    **({"unit_cost": str(s.unit_cost)} if s.unit_cost is not None else {}),
                }
                for s in skus
            ]
            lead = max(s.lead_time_days or 0 for s in skus)
            words = "; ".join(
                f"{_cover_text(s)}: order {s.reorder_units(target)} for {s.lead_time_days} + {target} days"
                for s in skus
            )
            proposals.append(
                (
                    max(float((s.days_to_delivery or 0) - (s.days_of_cover or 0)) for s in skus),
                    "po.create",
                    {
                        "supplier": supplier,
                        "lines": lines,
                        "expected_at": (ctx.today + dt.timedelta(days=lead)).isoformat(),
                        "notes": f"Reorder drafted by {self.key}: cover below lead time.",
                    },
                    f"{words}. A draft PO to {supplier} now; the PO desk confirms it.",
                    [entries[s.sku] for s in skus],
                    0.8,
                )
            )
        proposals.sort(key=lambda p: -p[0])
        limit = int(config["max_proposals"])
        for priority, action, args, rationale, evidence, confidence in proposals[:limit]:
            ctx.propose(action, args, rationale=rationale, evidence=evidence, confidence=confidence, priority=priority)
        for _priority, action, args, _rationale, _evidence, _confidence in proposals[limit:]:
            ctx.warn(
                f"{action} {args.get('campaign_id') or args.get('supplier') or args.get('title')}: not proposed, "
                f"past the {limit} most urgent (max_proposals)"
            )


def _hours(gap: dt.timedelta) -> float:
    return gap.total_seconds() / 3600


@register
class Calendar(Specialist):
    key = "operations.calendar"
    division = "operations"
    name = "Calendar"
    description = (
        "The content calendar: finds clashes (two e-mail sends to one segment within 24 hours, a product launch "
        "dated before its stock arrives) and proposes moving the later item. Ask it about the schedule, send "
        "dates, launches or clashes."
    )
    defaults = {"horizon_days": 21, "min_gap_hours": 24, "min_launch_stock": 1, "max_proposals": 3}

    def run(self, ctx: RunContext) -> None:
        config = ctx.config
        findings = calendar_analysis(ctx.today, config)
        gap = dt.timedelta(hours=float(config["min_gap_hours"]))
        tz = brand_tz()
        asked = focus.intent_text(ctx)
        named = [
            s for s in findings.sends if s.starts_at >= day_start(ctx.today, tz) and focus.mentions(asked, s.title)
        ]
        if named:
            # A person named a send: move that one to the first clear slot they asked for, nothing else.
            for send in named[: int(config["max_proposals"])]:
                self._move_named(ctx, send, findings.sends, gap, asked)
            return
        proposals = []
        if asked:
            # An explicit check: what was looked at goes to memory, clash or not.
            ctx.remember(
                key="calendar:clash_check",
                kind="observation",
                subject="Content calendar",
                data={
                    "value": len(findings.clashes),
                    "sends": len(findings.sends),
                    "launches_before_stock": len(findings.early_launches),
                    "horizon_days": int(config["horizon_days"]),
                },
                text=(
                    f"{len(findings.sends)} e-mail sends in the next {int(config['horizon_days'])} days: "
                    f"{len(findings.clashes)} send clashes (under {_hours(gap)} hours apart on one segment), "
                    f"{len(findings.early_launches)} launches before their stock"
                ),
            )
        for clash in findings.clashes:
            later = clash.later
            new_at = self._free_after(clash.earlier.starts_at + gap, later, findings.sends, gap)
            entry = ctx.remember(
                key=f"{later.key}:clash",
                kind="observation",
                subject=later.title,
                data={
                    "value": round(clash.gap_hours, 1),
                    "with": clash.earlier.item_id,
                    "with_email_campaign": clash.earlier.email_campaign_id,
                    "segment": later.segment_key,
                },
                evidence=[clash.earlier.ref, later.ref],
                text=(
                    f"Send clash: {clash.earlier.title!r} and {later.title!r} both go to segment "
                    f"{later.segment_key} {clash.gap_hours:.0f} hours apart "
                    f"({clash.earlier.starts_at.astimezone(tz):%a %b %d %H:%M} and "
                    f"{later.starts_at.astimezone(tz):%H:%M})"
                ),
            )
            action, args = self._move(later, new_at)
            proposals.append(
                (
                    _hours(gap) - clash.gap_hours,
                    action,
                    args,
                    f"{entry.text}, under the {_hours(gap):.0f}-hour minimum. Move {later.title!r} to "
                    f"{new_at.astimezone(tz):%a %b %d %H:%M}, the first time {_hours(gap):.0f} hours "
                    f"clear of every other send to {later.segment_key}."
                    + ("" if later.item_id is not None else " It was scheduled without a calendar item."),
                    entry,
                )
            )
        for launch in findings.early_launches:
            if launch.arrives_on is None:
                ctx.remember(
                    kind="observation",
                    subject=launch.title,
                    text=f"Launch {launch.title!r} on {launch.starts_at.astimezone(tz):%b %d} has {launch.stock} "
                    f"{launch.sku} in stock and no purchase order on the way.",
                    evidence=[{"model": "brand.calendaritem", "pk": launch.item_id}],
                )
                continue
            local = launch.starts_at.astimezone(tz)
            new_at = dt.datetime.combine(launch.arrives_on + dt.timedelta(days=1), local.time(), tzinfo=tz)
            entry = ctx.remember(
                key=f"calendar:{launch.item_id}:launch_before_stock",
                kind="observation",
                subject=launch.title,
                data={"value": (launch.arrives_on - local.date()).days, "sku": launch.sku, "stock": launch.stock},
                evidence=[{"model": "brand.calendaritem", "pk": launch.item_id}],
                text=f"Launch {launch.title!r} on {local:%b %d} comes before its stock: {launch.sku} has "
                f"{launch.stock} units and the next PO arrives {launch.arrives_on:%b %d}",
            )
            proposals.append(
                (
                    float((launch.arrives_on - local.date()).days),
                    "calendar.reschedule",
                    {"item_id": launch.item_id, "starts_at": new_at.isoformat()},
                    f"{entry.text}. Move the launch to {new_at:%a %b %d %H:%M}, the day after the stock arrives.",
                    entry,
                )
            )
        proposals.sort(key=lambda p: -p[0])
        for priority, action, args, rationale, entry in proposals[: int(config["max_proposals"])]:
            ctx.propose(action, args, rationale=rationale, evidence=[entry], confidence=0.8, priority=priority)

    @staticmethod
    def _move(send: CalendarEntry, at: dt.datetime) -> tuple[str, dict[str, Any]]:
        """A calendar item moves on the calendar; a campaign scheduled without one is rescheduled as a send
        (which also puts it on the calendar)."""
        if send.item_id is not None:
            return "calendar.reschedule", {"item_id": send.item_id, "starts_at": at.isoformat()}
        return "email.send_campaign", {"email_campaign_id": send.email_campaign_id, "scheduled_at": at.isoformat()}

    def _move_named(
        self, ctx: RunContext, send: CalendarEntry, sends: list[CalendarEntry], gap: dt.timedelta, asked: str
    ) -> None:
        if ctx.intent is None:
            raise ValueError(f"run #{ctx.run.pk}: moving a named send needs the run's intent")
        tz = brand_tz()
        local = send.starts_at.astimezone(tz)
        if "next week" in asked:
            # Monday of next week, at the send's time of day.
            day = ctx.today + dt.timedelta(days=7 - ctx.today.weekday())
        elif "tomorrow" in asked:
            day = ctx.today + dt.timedelta(days=1)
        else:
            day = local.date() + dt.timedelta(days=1)
        day = max(day, ctx.today + dt.timedelta(days=1))
        earliest = dt.datetime.combine(day, local.time(), tzinfo=tz)
        new_at, others = self._free_day(earliest, send, sends, gap)
        entry = ctx.remember(
            key=f"{send.key}:requested_move",
            kind="observation",
            subject=send.title,
            data={
                "value": new_at.isoformat(),
                "from": send.starts_at.isoformat(),
                "segment": send.segment_key,
                "other_sends": others,
            },
            evidence=[send.ref],
            text=(
                f"{send.title!r} to segment {send.segment_key} is scheduled for {local:%a %b %d %H:%M}; "
                f"{others} other sends to {send.segment_key} are on the calendar around it"
            ),
        )
        action, args = self._move(send, new_at)
        ctx.propose(
            action,
            args,
            rationale=(
                f"Asked: {ctx.intent.text!r}. {send.title!r} (segment {send.segment_key}) moves from "
                f"{local:%a %b %d %H:%M} to {new_at.astimezone(tz):%a %b %d %H:%M}, the first slot from "
                f"{earliest:%a %b %d} at least {_hours(gap):.0f} hours clear of the segment's {others} other "
                f"scheduled sends."
            ),
            evidence=[entry],
            confidence=0.85,
            priority=1.0,
        )

    @staticmethod
    def _free_day(
        earliest: dt.datetime, send: CalendarEntry, sends: list[CalendarEntry], gap: dt.timedelta
    ) -> tuple[dt.datetime, int]:
        """The first day from `earliest`, at the same time of day, `gap` clear of the segment's other sends."""
        others = [s.starts_at for s in sends if s.segment_id == send.segment_id and s != send]
        at = earliest
        for _ in range(366):
            if all(abs(t - at) >= gap for t in others):
                break
            at = dt.datetime.combine(at.date() + dt.timedelta(days=1), at.timetz())
        return at, len(others)

    @staticmethod
    def _free_after(
        start: dt.datetime, item: CalendarEntry, sends: list[CalendarEntry], gap: dt.timedelta
    ) -> dt.datetime:
        """The first time from `start`, by hours, at least `gap` away from the segment's other sends."""
        others = [s.starts_at for s in sends if s.segment_id == item.segment_id and s != item]
        at = start
        for _ in range(24 * 60):
            clash = [t for t in others if abs(t - at) < gap]
            if not clash:
                return at
            at = max(clash) + gap
        return at
