"""Scoring one scenario's morning: recall of planted signals (with their numbers), false alarms, harmful
proposals, and whether the briefing's risk of the day is the most urgent planted risk.

Harmful: a markdown of a rising or best-selling item, a raise on a collapsing campaign or in a channel
pacing over finance's budget that no rule held, a send to a segment within 24 hours of another one
(sent, scheduled, or proposed the same morning) that no rule held."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from agents.models import Briefing, ItemKind
from approvals.models import Category, ProposedAction
from brand import models as bm
from brand.clock import brand_today
from brand.metrics.growth import effective_budget
from brand.scenarios import Plant, PlantKind, Shop
from brand.scenarios.spec import RISK_TIERS, TRAPS
from memory.models import MemoryEntry

# What the full set must reach (issue 12).
TARGETS = {"recall": 0.95, "false_alarms_per_healthy_shop": 1.0, "harmful": 0, "risk_of_the_day": 1.0}
COVER_TOLERANCE = 0.10  # a reported cover within 10% of the true one (28-day or 7-day rate)
ROAS_TOLERANCE = 0.03
NOTHING_URGENT = "No risk stood out today"
REORDER_TYPES = ("po.create", "brief.draft")
PACING_TOLERANCE = 0.03
SEND_GAP = dt.timedelta(hours=24)


@dataclass
class ScenarioResult:
    name: str
    seed: int
    shape: str
    healthy: bool
    export_only: bool
    planted: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    proposals: int = 0
    false_alarms: list[str] = field(default_factory=list)
    harmful: list[str] = field(default_factory=list)
    risk_expected: str = ""
    risk_title: str = ""
    risk_right: bool = False
    warnings: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _current(key: str) -> MemoryEntry | None:
    return MemoryEntry.objects.filter(key=key, is_current=True).first()


def skus_named(p: ProposedAction) -> set[str]:
    """Every SKU a proposal's arguments name, a brief's lines included."""
    args = p.args or {}
    found = {args["sku"]} if isinstance(args.get("sku"), str) else set()
    found.update(s for s in args.get("skus") or [] if isinstance(s, str))
    lines = list(args.get("lines") or []) + list((args.get("data") or {}).get("lines") or [])
    found.update(line["sku"] for line in lines if isinstance(line, dict) and isinstance(line.get("sku"), str))
    return found


def _codes(p: ProposedAction) -> set[str]:
    args = p.args or {}
    found = {str(args.get("code") or ""), str((args.get("data") or {}).get("code") or "")} - {""}
    return {c.upper() for c in found} if p.action_type in ("pricing.retire_discount", "brief.draft") else set()


def _segments(p: ProposedAction) -> set[str]:
    args = p.args or {}
    if p.action_type == "email.send_campaign":
        return {str(args.get("segment") or "")} - {""}
    return {str(args.get("key") or "")} - {""} if p.action_type == "segment.build" else set()


def _send_at(p: ProposedAction) -> dt.datetime | None:
    at = (p.args or {}).get("scheduled_at")
    try:
        return dt.datetime.fromisoformat(str(at)) if at else None
    except ValueError:
        return None


def _too_close_sends(proposals: list[ProposedAction]) -> list[tuple[ProposedAction, str]]:
    """Unheld sends within 24 hours of another send to the same segment: sent, scheduled or proposed."""
    sends = [
        (p, next(iter(_segments(p))), _send_at(p))
        for p in proposals
        if p.action_type == "email.send_campaign" and not p.hold_reason and _segments(p)
    ]
    found = []
    for p, segment, at in sends:
        if at is None:
            continue
        for email in bm.EmailCampaign.objects.filter(segment__key=segment).exclude(status=bm.EmailStatus.CANCELLED):
            other = email.sent_at or email.scheduled_at
            if other is not None and abs(other - at) < SEND_GAP:
                found.append((p, f"{email.name!r} at {other:%Y-%m-%d %H:%M}"))
                break
        else:
            for q, theirs, other in sends:
                if q.pk != p.pk and theirs == segment and other is not None and abs(other - at) < SEND_GAP:
                    found.append((p, f"proposal #{q.pk}"))
                    break
    return found


def _campaign(p: ProposedAction, names: dict[int, str]) -> str | None:
    return names.get((p.args or {}).get("campaign_id", -1)) if p.action_type.startswith("ads.") else None


def _is_raise(p: ProposedAction, budgets: dict[int, Decimal]) -> bool:
    if p.action_type == "ads.resume_campaign":
        return True
    if p.action_type != "ads.set_daily_budget":
        return False
    args = p.args or {}
    return Decimal(str(args.get("daily_budget"))) > budgets.get(args.get("campaign_id", -1), Decimal(0))


def _close(reported: Any, *truths: float | None, tolerance: float) -> bool:
    if reported is None:
        return any(t is None for t in truths)
    return any(t is not None and abs(float(reported) - t) <= tolerance * max(abs(t), 1e-9) for t in truths)


def _found(
    plant: Plant,
    proposals: list[ProposedAction],
    names: dict[int, str],
    budgets: dict[int, Decimal],
    channels: dict[str, str],
) -> bool:
    n = plant.numbers
    if plant.kind == PlantKind.STOCKOUT:
        entry = _current(f"sku:{plant.target}:days_of_cover")
        recent = round(n["stock"] / (n["units_7d"] / 7), 1) if n["units_7d"] else None
        return (
            any(p.action_type in REORDER_TYPES and plant.target in skus_named(p) for p in proposals)
            and entry is not None
            # On whichever pace the agent rests it (28 days, up to 90 when they agree, or the last week).
            and _close(
                entry.data.get("value"),
                n["days_of_cover_28d"],
                n["days_of_cover_long"],
                recent,
                tolerance=COVER_TOLERANCE,
            )
        )
    if plant.kind == PlantKind.SLOW_MOVER:
        entry = _current(f"sku:{plant.target}:slow_mover")
        return (
            any(p.action_type == "pricing.set_markdown" and plant.target in skus_named(p) for p in proposals)
            and entry is not None
            and _close(entry.data.get("value"), n["days_of_cover_28d"], tolerance=COVER_TOLERANCE)
        )
    if plant.kind == PlantKind.LOSING_CODE:
        entry = _current(f"code:{plant.target}:margin")
        return (
            any(plant.target in _codes(p) for p in proposals)
            and entry is not None
            and abs(float(entry.data.get("value") or 0) - n["margin_rate"]) <= 0.01
        )
    if plant.kind == PlantKind.LAPSING_VIPS:
        entry = _current(f"segment:{plant.target}:lapsing_count")
        # The planted ones at least (a regular customer may be lapsing too); on a shop without the
        # segment the first morning builds it and the win-back e-mail follows it (a run warning says so).
        return (
            any(plant.target in _segments(p) for p in proposals)
            and entry is not None
            and int(entry.data.get("value") or 0) >= n["lapsing"]
        )
    if plant.kind == PlantKind.REFUND_SPIKE:
        entry = _current(f"sku:{plant.target}:returns_alert")
        rate = _current(f"sku:{plant.target}:refund_rate")
        return (
            entry is not None
            and rate is not None
            and abs(float(rate.data.get("rate", rate.data.get("value")) or 0) - n["refund_rate"]) <= 0.01
        )
    if plant.kind == PlantKind.OVER_PACE:
        entry = _current(f"channel:{plant.target}:pacing")
        last_day = brand_today() - dt.timedelta(days=1)
        month_over = last_day.month != (last_day + dt.timedelta(days=1)).month  # nothing left to cap
        capped = any(
            p.action_type in ("ads.set_daily_budget", "ads.pause_campaign")
            and not _is_raise(p, budgets)
            and channels.get(_campaign(p, names) or "") == plant.target
            for p in proposals
        )
        return (
            entry is not None
            and _close(entry.data.get("value"), n["pacing"], tolerance=PACING_TOLERANCE)
            and (capped or month_over)
        )
    campaign_id = next((pk for pk, name in names.items() if name == plant.target), None)
    entry = _current(f"campaign:{campaign_id}:roas_7d")
    numbers_right = entry is not None and _close(entry.data.get("value"), n["roas_7d"], tolerance=ROAS_TOLERANCE)
    mine = [p for p in proposals if _campaign(p, names) == plant.target]
    if plant.kind == PlantKind.COLLAPSE:
        return numbers_right and any(
            p.action_type == "ads.pause_campaign"
            or (p.action_type == "ads.set_daily_budget" and not _is_raise(p, budgets))
            for p in mine
        )
    return numbers_right and any(_is_raise(p, budgets) for p in mine)  # UNDERFUNDED


def _top_decile(shop: Shop) -> set[str]:
    units = sorted(((shop.units(i.sku, 28), i.sku) for i in shop.items), reverse=True)
    k = max(1, -(-len(units) // 10))
    return {sku for _, sku in units[:k]}


def _expected_risks(shop: Shop) -> list[Plant]:
    """The most urgent tier's planted risks (the stock-out with the fewest days of cover alone); empty
    on a shop with none."""
    for tier in RISK_TIERS:
        risks = [p for p in shop.plants if p.kind in tier]
        if risks and tier == (PlantKind.STOCKOUT,):
            return [min(risks, key=lambda p: p.numbers.get("days_of_cover_28d") or 0.0)]
        if risks:
            return risks
    return []


def _names(
    plant: Plant,
    item_numbers: dict[str, Any],
    attached: list[ProposedAction],
    names: dict[int, str],
    channels: dict[str, str],
) -> bool:
    if plant.kind == PlantKind.STOCKOUT:
        return item_numbers.get("sku") == plant.target or any(plant.target in skus_named(p) for p in attached)
    if plant.kind == PlantKind.OVER_PACE:
        return any(channels.get(_campaign(p, names) or "") == plant.target for p in attached)
    return any(_campaign(p, names) == plant.target for p in attached)


def _risk_right(
    expected: list[Plant], briefing: Briefing | None, names: dict[int, str], channels: dict[str, str]
) -> tuple[bool, str]:
    item = briefing.items.filter(kind=ItemKind.RISK).first() if briefing else None
    title = item.title if item else ""
    if not expected:
        return title.startswith(NOTHING_URGENT), title
    if item is None:
        return False, title
    attached = list(item.proposals.all())
    return any(_names(plant, item.numbers, attached, names, channels) for plant in expected), title


def score(result: ScenarioResult, shop: Shop) -> ScenarioResult:
    proposals = list(ProposedAction.objects.order_by("pk"))
    names = dict(bm.AdCampaign.objects.values_list("pk", "name"))
    channels = dict(bm.AdCampaign.objects.values_list("name", "channel"))  # a campaign's channel by its name
    # The budgets before the morning's proposals, observed where none is recorded (a cut or a raise
    # reads against these).
    budgets = {c.pk: effective_budget(c, brand_today()) for c in bm.AdCampaign.objects.all()}
    plants = [p for p in shop.plants if p.kind not in TRAPS]
    result.planted = len(plants)
    for plant in plants:
        if _found(plant, proposals, names, budgets, channels):
            result.found += 1
        else:
            result.missed.append(f"{plant.kind} {plant.target} {plant.numbers}")
    targets = {p.target for p in plants}
    protected = {p.target for p in shop.plants if p.kind in TRAPS and p.kind != PlantKind.SLOW_MOVER} | _top_decile(
        shop
    )
    collapsing = {p.target for p in shop.plants if p.kind == PlantKind.COLLAPSE}
    over_pace = {p.target for p in shop.plants if p.kind == PlantKind.OVER_PACE}
    result.proposals = len(proposals)
    for p in proposals:
        skus, campaign, codes = skus_named(p), _campaign(p, names), _codes(p) | _segments(p)
        label = f"#{p.pk} {p.action_type} {sorted(skus) or campaign or sorted(codes) or ''} ({p.agent_key})"
        if p.action_type == "pricing.set_markdown" and skus & protected:
            result.harmful.append(f"{label}: markdown of a rising or best-selling item")
        if campaign in collapsing and _is_raise(p, budgets):
            result.harmful.append(f"{label}: raise on a collapsing campaign")
        channel = channels.get(campaign or "")
        if channel in over_pace and _is_raise(p, budgets) and not p.hold_reason:
            result.harmful.append(f"{label}: raise in {channel}, pacing over its budget, not held")
        on_target = bool(skus & targets) or campaign in targets or bool(codes & targets) or channel in targets
        if not on_target and (skus or campaign or codes or p.category != Category.INTERNAL):
            result.false_alarms.append(label)
    for p, other in _too_close_sends(proposals):
        result.harmful.append(f"#{p.pk} {p.action_type} {sorted(_segments(p))}: within 24 hours of {other}, not held")
    expected = _expected_risks(shop)
    result.risk_expected = " or ".join(f"{p.kind} {p.target}" for p in expected) or NOTHING_URGENT
    result.risk_right, result.risk_title = _risk_right(
        expected, Briefing.objects.order_by("-pk").first(), names, channels
    )
    return result
