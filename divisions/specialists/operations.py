"""Operations: inventory (cover vs lead time -> draft PO, pause ads pushing a SKU that runs out) and calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from agents.base import RunContext, Specialist
from agents.registry import register
from divisions.analysis.brand_days import brand_tz
from divisions.analysis.operations import CalendarEntry, SkuCover, calendar_analysis, inventory_analysis


def _cover_text(s: SkuCover) -> str:
    return (
        f"{s.sku} {s.title} has {s.days_of_cover} days of cover ({s.stock} in stock, {s.units_28d} sold in 28 days) "
        f"vs {s.days_to_delivery} days to its next delivery (lead time {s.lead_time_days} days, "
        f"{s.supplier_name or 'no supplier'})"
    )


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
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        config = ctx.config
        findings = inventory_analysis(ctx.today, config)
        at_risk = findings.at_risk
        if ctx.intent is not None:
            text = ctx.intent.text.lower()
            named = {s.sku for s in findings.skus if s.sku.lower() in text or s.title.lower() in text}
            if named:
                at_risk = [s for s in at_risk if s.sku in named]
        entries: dict[str, Any] = {}
        # Cover of the at-risk SKUs and of every SKU a live campaign pushes: what paid media reads.
        for s in findings.skus:
            if s not in at_risk and not (s.campaigns and s.days_of_cover is not None):
                continue
            entries[s.sku] = ctx.remember(
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
                },
                evidence=[{"model": "brand.variant", "pk": s.variant_id}],
                text=_cover_text(s),
            )
        proposals: list[tuple[float, str, dict, str, list, float]] = []
        by_supplier: dict[str, list[SkuCover]] = defaultdict(list)
        for s in at_risk:
            # A draft PO already waiting for this SKU is the PO desk's; no second one.
            if s.supplier_name and s.draft_po_units == 0 and s.reorder_units(int(config["target_cover_days"])) > 0:
                by_supplier[s.supplier_name].append(s)
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
        for supplier, skus in by_supplier.items():
            target = int(config["target_cover_days"])
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
        for priority, action, args, rationale, evidence, confidence in proposals[: int(config["max_proposals"])]:
            ctx.propose(action, args, rationale=rationale, evidence=evidence, confidence=confidence, priority=priority)


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
        proposals = []
        for clash in findings.clashes:
            later = clash.later
            new_at = self._free_after(clash.earlier.starts_at + gap, later, findings.sends, gap)
            entry = ctx.remember(
                key=f"calendar:{later.item_id}:clash",
                kind="observation",
                subject=later.title,
                data={"value": round(clash.gap_hours, 1), "with": clash.earlier.item_id, "segment": later.segment_key},
                evidence=[
                    {"model": "brand.calendaritem", "pk": clash.earlier.item_id},
                    {"model": "brand.calendaritem", "pk": later.item_id},
                ],
                text=(
                    f"Send clash: {clash.earlier.title!r} and {later.title!r} both go to segment "
                    f"{later.segment_key} {clash.gap_hours:.0f} hours apart "
                    f"({clash.earlier.starts_at.astimezone(tz):%a %b %d %H:%M} and "
                    f"{later.starts_at.astimezone(tz):%H:%M})"
                ),
            )
            proposals.append(
                (
                    gap.total_seconds() / 3600 - clash.gap_hours,
                    {"item_id": later.item_id, "starts_at": new_at.isoformat()},
                    f"{entry.text}, under the {gap.total_seconds() / 3600:.0f}-hour minimum. Move {later.title!r} to "
                    f"{new_at.astimezone(tz):%a %b %d %H:%M}, the first time {gap.total_seconds() / 3600:.0f} hours "
                    f"clear of every other send to {later.segment_key}.",
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
                    {"item_id": launch.item_id, "starts_at": new_at.isoformat()},
                    f"{entry.text}. Move the launch to {new_at:%a %b %d %H:%M}, the day after the stock arrives.",
                    entry,
                )
            )
        proposals.sort(key=lambda p: -p[0])
        for priority, args, rationale, entry in proposals[: int(config["max_proposals"])]:
            ctx.propose(
                "calendar.reschedule", args, rationale=rationale, evidence=[entry], confidence=0.8, priority=priority
            )

    @staticmethod
    def _free_after(
        start: dt.datetime, item: CalendarEntry, sends: list[CalendarEntry], gap: dt.timedelta
    ) -> dt.datetime:
        """The first time from `start`, by hours, at least `gap` away from the segment's other sends."""
        others = [s.starts_at for s in sends if s.segment_id == item.segment_id and s.item_id != item.item_id]
        at = start
        for _ in range(24 * 60):
            clash = [t for t in others if abs(t - at) < gap]
            if not clash:
                return at
            at = max(clash) + gap
        return at
