"""Cross-division judgement: explicit rules that hold a proposal that conflicts with other work.

Each rule is a small function `(proposal, pending) -> Hold | None` over one pending proposal and
the other pending proposals of the day; `judge()` runs them all and `holds_apply()` parks the
losers through the run's context (`ctx.hold`), bundling the fix, and writes each hold to memory
(kind "decision", key `proposal:<id>:hold`) so that tomorrow's agents know why.

The rules read arguments defensively: the action types belong to `brand.actions`, and a proposal
whose arguments do not name what a rule needs is simply not judged by that rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agents.runtime.asks import parse_ask
from approvals import registry as action_registry
from approvals.errors import UnknownActionType
from approvals.hooks import Judgement
from approvals.models import Decision, ProposedAction, Status, Verdict
from approvals.services import proposal_release_by_rule
from brand import models as bm
from brand.clock import brand_today
from brand.metrics.growth import effective_budget
from memory.models import Kind, MemoryEntry

if TYPE_CHECKING:
    from agents.runtime.context import RunContext

SPEND_RAISE_TYPES = ("ads.set_daily_budget", "ads.resume_campaign")
SEND_TYPE = "email.send_campaign"
DISCOUNT_TYPES = ("pricing.create_discount", "pricing.set_markdown")
PO_TYPES = ("po.create",)
PAUSE_TYPE = "ads.pause_campaign"
CLASH_WINDOW = dt.timedelta(hours=24)


@dataclass
class Hold:
    proposal: ProposedAction
    rule: str
    reason: str
    bundle: list[ProposedAction] = field(default_factory=list)
    evidence: list[MemoryEntry] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


# --- reading proposals --------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except (InvalidOperation, ValueError):
        return None


def campaign_of(proposal: ProposedAction) -> bm.AdCampaign | None:
    # Every rule and headline asks about the same few proposals: look each one's campaign up once
    # (kept on the instance, which lives for one orchestrator run).
    cached = proposal.__dict__.get("_campaign_of", _UNSET)
    if cached is _UNSET:
        cached = proposal.__dict__["_campaign_of"] = _lookup_campaign(proposal)
    return cached


_UNSET = object()


def targets(proposal: ProposedAction, kind: str) -> list[str]:
    """The ids of one kind the proposal acts on, as its action type declares them (none for a
    type no longer registered)."""
    try:
        declared = action_registry.targets_of(proposal.action_type, proposal.args)
    except UnknownActionType:
        return []
    return action_registry.target_ids(declared, kind)


def _lookup_campaign(proposal: ProposedAction) -> bm.AdCampaign | None:
    ids = [pk for pk in targets(proposal, "campaign") if pk.isdigit()]
    return bm.AdCampaign.objects.filter(pk=ids[0]).first() if ids else None


def raised_spend_campaign(proposal: ProposedAction) -> bm.AdCampaign | None:
    """The campaign whose spend the proposal raises: a higher daily budget, or a resume."""
    if proposal.action_type not in SPEND_RAISE_TYPES:
        return None
    campaign = campaign_of(proposal)
    if campaign is None:
        return None
    if proposal.action_type == "ads.resume_campaign":
        return campaign
    new = _decimal((proposal.args or {}).get("daily_budget"))
    # A campaign imported without a budget is judged against what it is seen to spend: writing a
    # budget below that is a cut, not a raise from zero.
    return campaign if new is not None and new > effective_budget(campaign, brand_today()) else None


def skus_of(proposal: ProposedAction) -> set[str]:
    """Every SKU a proposal acts on: the SKUs among its targets, a reorder brief's lines (a reorder
    that needs a person to pick the supplier names its SKUs in `data.lines`), and its campaign's."""
    found = set(targets(proposal, "sku"))
    data = (proposal.args or {}).get("data")
    for line in (data.get("lines") or []) if isinstance(data, dict) else []:
        if isinstance(line, dict) and isinstance(line.get("sku"), str):
            found.add(line["sku"])
    if targets(proposal, "campaign"):
        campaign = campaign_of(proposal)
        if campaign is not None:
            found.update(campaign.skus.values_list("sku", flat=True))
    return found


def _current(key: str) -> MemoryEntry | None:
    from memory.selectors import current

    return current(key)


# --- rule (a): more spend on a campaign whose products run out before their next delivery --------


def rule_spend_on_stockout(proposal: ProposedAction, pending: list[ProposedAction]) -> Hold | None:
    campaign = raised_spend_campaign(proposal)
    if campaign is None:
        return None
    short: list[tuple[str, MemoryEntry]] = []
    for sku in sorted(campaign.skus.values_list("sku", flat=True)):
        entry = _current(f"sku:{sku}:days_of_cover")
        if entry is not None and (entry.data or {}).get("runs_out_before_delivery"):
            short.append((sku, entry))
    if not short:
        return None
    skus = {sku for sku, _ in short}
    bundle = [
        p
        for p in pending
        if p.pk != proposal.pk
        and (
            (p.action_type in PO_TYPES and skus_of(p) & skus)
            or (p.action_type == PAUSE_TYPE and (campaign_of(p) == campaign or skus_of(p) & skus))
        )
    ]
    drafts = list(
        bm.PurchaseOrder.objects.filter(status=bm.POStatus.DRAFT, lines__variant__sku__in=skus)
        .distinct()
        .values_list("number", flat=True)
    )
    parts = []
    for sku, entry in short:
        cover, lead = entry.value if entry.has_value else None, (entry.data or {}).get("lead_time_days")
        parts.append(f"{sku} has {_num(cover)} days of cover and its next delivery takes {_num(lead)} days")
    fix = ", ".join(f"#{p.pk} {p.title or p.action_type}" for p in bundle) or "no drafted fix yet"
    reason = (
        f"More spend on {campaign.name} would sell out faster: {'; '.join(parts)}. "
        f"Held until the inventory fix is decided ({fix})."
        + (f" Draft PO waiting: {', '.join(drafts)}." if drafts else "")
    )
    return Hold(
        proposal,
        "spend_on_stockout",
        reason,
        bundle,
        [e for _, e in short],
        {"campaign": campaign.name, "skus": sorted(skus), "draft_pos": drafts},
    )


def _num(value: Any) -> str:
    d = _decimal(value)
    if d is None:
        return "?"
    return f"{d:.0f}" if d == d.to_integral_value() or abs(d) >= 10 else f"{d:.1f}"


# --- rule (b): two messages to one segment within 24 hours --------------------------------------


@dataclass(frozen=True)
class Send:
    segment_id: int
    at: dt.datetime
    label: str
    email_campaign_id: int | None


def send_of(proposal: ProposedAction, now: dt.datetime) -> Send | None:
    if proposal.action_type != SEND_TYPE:
        return None
    args = proposal.args or {}
    email_ids = [pk for pk in targets(proposal, "email") if pk.isdigit()]
    email = bm.EmailCampaign.objects.filter(pk=email_ids[0]).first() if email_ids else None
    segment_id = email.segment_id if email else None
    segment_keys = targets(proposal, "segment")
    if segment_keys:
        found = bm.Segment.objects.filter(key=segment_keys[0]).first()
        segment_id = found.pk if found else segment_id
    if segment_id is None:
        return None
    when = args.get("send_at") or args.get("scheduled_at")
    at = _parse_time(when) or (email.scheduled_at if email and email.scheduled_at else None) or now
    label = email.name if email else (proposal.title or f"proposal #{proposal.pk}")
    return Send(segment_id, at, label, email.pk if email else None)


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    return None


def _strength(p: ProposedAction) -> tuple[float, float, float]:
    return (p.priority, p.confidence, float(p.money_at_stake))


def rule_send_clash(
    proposal: ProposedAction, pending: list[ProposedAction], *, now: dt.datetime | None = None
) -> Hold | None:
    """The later (or, at the same time, the weaker) of two sends to one segment within 24 hours is held."""
    now = now or timezone.now()
    mine = send_of(proposal, now)
    if mine is None:
        return None
    segment = bm.Segment.objects.filter(pk=mine.segment_id).first()
    seg_label = segment.name if segment else f"segment {mine.segment_id}"
    scheduled = bm.EmailCampaign.objects.filter(
        segment_id=mine.segment_id,
        status=bm.EmailStatus.SCHEDULED,
        scheduled_at__gt=mine.at - CLASH_WINDOW,
        scheduled_at__lt=mine.at + CLASH_WINDOW,
    )
    if mine.email_campaign_id is not None:
        scheduled = scheduled.exclude(pk=mine.email_campaign_id)
    for email in scheduled.order_by("scheduled_at"):
        if email.scheduled_at is None:  # never: the filter bounds it; says so to the type checker
            continue
        # Something already on the calendar stands; the new proposal is the one that waits.
        return Hold(
            proposal,
            "send_clash",
            f"{mine.label} would reach {seg_label} {_gap(mine.at, email.scheduled_at)} from {email.name}, "
            f"already scheduled for {email.scheduled_at:%Y-%m-%d %H:%M} UTC; two messages to one segment within "
            "24 hours. Held: move it or drop one.",
            [],
            [],
            {"segment": seg_label, "clashes_with": {"email_campaign": email.pk, "name": email.name}},
        )
    for other in pending:
        if other.pk == proposal.pk:
            continue
        theirs = send_of(other, now)
        if theirs is None or theirs.segment_id != mine.segment_id or abs(theirs.at - mine.at) >= CLASH_WINDOW:
            continue
        if theirs.email_campaign_id is not None and theirs.email_campaign_id == mine.email_campaign_id:
            continue
        mine_loses = mine.at > theirs.at or (
            mine.at == theirs.at and (_strength(proposal), -proposal.pk) < (_strength(other), -other.pk)
        )
        if mine_loses:
            why = "later" if mine.at > theirs.at else "weaker"
            return Hold(
                proposal,
                "send_clash",
                f"{mine.label} would reach {seg_label} {_gap(mine.at, theirs.at)} after {theirs.label} "
                f"(proposal #{other.pk}); two messages to one segment within 24 hours. This is the {why} of the two: "
                "held until the other is decided.",
                [other],
                [],
                {"segment": seg_label, "clashes_with": {"proposal": other.pk, "name": theirs.label}},
            )
    return None


def _gap(a: dt.datetime, b: dt.datetime) -> str:
    hours = abs(a - b).total_seconds() / 3600
    return f"{hours:.0f} hours" if hours >= 1 else f"{hours * 60:.0f} minutes"


# --- rule (c): a budget raise in a channel that finance says is pacing over ---------------------


def pacing_ratio(entry: MemoryEntry | None) -> float | None:
    value = _decimal(entry.value) if entry is not None else None
    if value is None:
        return None
    # Finance may write 1.3 or 130 (%); nobody paces at ten times the budget.
    return float(value / 100 if value > 10 else value)


def rule_pacing_over(proposal: ProposedAction, pending: list[ProposedAction]) -> Hold | None:
    campaign = raised_spend_campaign(proposal)
    if campaign is None:
        return None
    entry = _current(f"channel:{campaign.channel}:pacing")
    ratio = pacing_ratio(entry)
    if entry is None or ratio is None or ratio <= 1:
        return None
    bundle = [
        p
        for p in pending
        if p.pk != proposal.pk
        and p.division.slug == "finance"
        and (campaign.channel in str(p.args) or campaign.channel in (p.title or "").lower())
    ]
    return Hold(
        proposal,
        "pacing_over",
        f"{campaign.get_channel_display()} is pacing at {ratio:.0%} of its monthly budget (finance); raising "
        f"{campaign.name} would add to the overspend. Held until finance agrees.",
        bundle,
        [entry],
        {"channel": campaign.channel, "pacing": round(ratio, 3)},
    )


# --- rule (d): a discount deeper than a person's stated preference ------------------------------

_ABOUT_DISCOUNTS = re.compile(r"discount|mark[- ]?down|% off|percent off|promo|coupon|code|price cut|sale", re.I)


def preference_limit(entry: MemoryEntry) -> Decimal | None:
    """The deepest discount a preference allows: its value's `max_discount_percent` (a structured
    preference), else the same name in its data, else the % in its words."""
    stated = entry.value if entry.has_value else None
    if isinstance(stated, dict):
        for name in ("max_discount_percent", "max_discount", "max_percent_off"):
            if stated.get(name) is not None:
                return _decimal(stated[name])
    elif stated is not None and "discount" in (entry.key or ""):
        return _decimal(stated)  # `brand:max_discount_percent` = 30
    data = entry.data or {}
    for name in ("max_discount_percent", "max_discount", "max_percent_off"):
        if data.get(name) is not None:
            return _decimal(data[name])
    if not _ABOUT_DISCOUNTS.search(entry.text):
        return None
    # A preference may name several ("20%, 30% for VIPs"): the strictest one holds.
    numbers = parse_ask(entry.text).percents
    return min(numbers) if numbers else None


def active_preferences(now: dt.datetime, *, division_id: int | None = None) -> QuerySet[MemoryEntry]:
    """Current preferences: brand-wide ones (no division), and the division's own when one is named."""
    scope = Q(division__isnull=True) | (Q(division_id=division_id) if division_id is not None else Q(pk__in=[]))
    return (
        MemoryEntry.objects.filter(scope, kind=Kind.PREFERENCE, is_current=True, valid_from__lte=now)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .select_related("author_user")
        .order_by("created_at")
    )


def discount_depth(proposal: ProposedAction) -> Decimal | None:
    if proposal.action_type not in DISCOUNT_TYPES:
        return None
    args = proposal.args or {}
    return _decimal(args.get("percent_off", args.get("percent")))


def rule_discount_preference(
    proposal: ProposedAction, pending: list[ProposedAction], *, now: dt.datetime | None = None
) -> Hold | None:
    depth = discount_depth(proposal)
    if depth is None:
        return None
    now = now or timezone.now()
    for entry in active_preferences(now, division_id=proposal.division_id):
        limit = preference_limit(entry)
        if limit is not None and depth > limit:
            who = entry.author_user.get_username() if entry.author_user else entry.author_label
            return Hold(
                proposal,
                "discount_preference",
                f"{_num(depth)}% off is deeper than {who}'s stated limit of {_num(limit)}% "
                f'("{entry.text.strip()[:120]}"). Held for a person to decide.',
                [],
                [entry],
                {"percent": str(depth), "limit": str(limit), "preference": entry.pk},
            )
    return None


# --- rule (e): two price cuts on one SKU from different agents --------------------------------------


def _price_cut_weight(p: ProposedAction) -> tuple[int, float, float, float]:
    """A discount (a promotion of a seller) beats a markdown (a clearance) on one SKU: a product someone
    wants to push is not dead stock; between two of a kind, the stronger proposal wins."""
    return (int(p.action_type == "pricing.create_discount"), *_strength(p))


def rule_price_cut_overlap(proposal: ProposedAction, pending: list[ProposedAction]) -> Hold | None:
    if proposal.action_type not in DISCOUNT_TYPES:
        return None
    mine = skus_of(proposal)
    if not mine:
        return None
    for other in pending:
        if (
            other.pk == proposal.pk
            or other.action_type not in DISCOUNT_TYPES
            or other.hold_reason
            or other.agent_key == proposal.agent_key
        ):
            continue
        shared = mine & skus_of(other)
        if not shared or _price_cut_weight(other) < _price_cut_weight(proposal):
            continue
        if _price_cut_weight(other) == _price_cut_weight(proposal) and other.pk > proposal.pk:
            continue
        what = {"pricing.create_discount": "a discount", "pricing.set_markdown": "a markdown"}
        return Hold(
            proposal,
            "price_cut_overlap",
            f"{what[proposal.action_type].capitalize()} on {', '.join(sorted(shared))} contradicts #{other.pk}, "
            f"{what[other.action_type]} on the same SKU from {other.agent_key or 'another agent'}; one price cut at "
            f"a time, and #{other.pk} wins ("
            + (
                "pushing a product that sells beats clearing it"
                if other.action_type != proposal.action_type
                else "the stronger case"
            )
            + "). Held for a person to decide.",
            [other],
            [],
            {"skus": sorted(shared), "winner": other.pk},
        )
    return None


# --- rule (f): two changes to one campaign from different agents ------------------------------------

CAMPAIGN_TYPES = ("ads.set_daily_budget", PAUSE_TYPE, "ads.resume_campaign")


def _campaign_change_weight(p: ProposedAction) -> tuple[int, float, float, float]:
    """A pause beats a budget change on one campaign (it stops the spend both are about); between two
    changes of a kind (growth's cut and finance's cap, say), the stronger proposal wins."""
    return (int(p.action_type == PAUSE_TYPE), *_strength(p))


def rule_campaign_overlap(proposal: ProposedAction, pending: list[ProposedAction]) -> Hold | None:
    if proposal.action_type not in CAMPAIGN_TYPES:
        return None
    mine = set(targets(proposal, "campaign"))
    if not mine:
        return None
    for other in pending:
        if (
            other.pk == proposal.pk
            or other.action_type not in CAMPAIGN_TYPES
            or other.hold_reason
            or other.agent_key == proposal.agent_key
            or not mine & set(targets(other, "campaign"))
        ):
            continue
        if _campaign_change_weight(other) < _campaign_change_weight(proposal):
            continue
        if _campaign_change_weight(other) == _campaign_change_weight(proposal) and other.pk > proposal.pk:
            continue
        return Hold(
            proposal,
            "campaign_overlap",
            f"{proposal.title or proposal.action_type} (#{proposal.pk}) and #{other.pk} from "
            f"{other.agent_key or 'another agent'} ({other.title or other.action_type}) change the same campaign; "
            f"one change at a time, and #{other.pk} wins ("
            + ("a pause stops the spend both are about" if other.action_type == PAUSE_TYPE else "the stronger case")
            + "). Held for a person to decide.",
            [other],
            [],
            {"campaigns": sorted(mine), "winner": other.pk},
        )
    return None


# --- running the rules --------------------------------------------------------------------------

RULES: list[Callable[[ProposedAction, list[ProposedAction]], Hold | None]] = [
    rule_spend_on_stockout,
    rule_pacing_over,
    rule_send_clash,
    rule_discount_preference,
    rule_price_cut_overlap,
    rule_campaign_overlap,
]


def pending_proposals() -> list[ProposedAction]:
    return list(
        ProposedAction.objects.filter(status=Status.PENDING)
        .select_related("division")
        .prefetch_related("bundled_with")
        .order_by("created_at", "pk")
    )


def judge(proposals: Iterable[ProposedAction] | None = None) -> list[Hold]:
    """The holds the rules call for among pending proposals not yet held (first matching rule wins)."""
    pending = list(proposals) if proposals is not None else pending_proposals()
    holds: list[Hold] = []
    released = released_by_person({p.pk for p in pending})
    for proposal in pending:
        if proposal.status != Status.PENDING or proposal.hold_reason or proposal.pk in released:
            continue
        for rule in RULES:
            hold = rule(proposal, pending)
            if hold is not None:
                holds.append(hold)
                break
    return holds


def holds_apply(holds: Iterable[Hold], *, ctx: RunContext) -> list[ProposedAction]:
    """Park each proposal with its reason and bundle, and remember the hold (through the run's context,
    one transaction each); a proposal decided meanwhile is skipped with a warning on the run."""
    held: list[ProposedAction] = []
    for hold in holds:
        proposal = hold.proposal
        parked = ctx.hold(
            proposal,
            reason=Judgement(hold.rule, hold.reason).hold_reason,  # names the rule, as the gate's holds do
            bundle=hold.bundle,
            note={
                "kind": Kind.DECISION,
                "key": f"proposal:{proposal.pk}:hold",
                "subject": (proposal.title or proposal.action_type)[:200],
                "text": f"Held #{proposal.pk}: {hold.reason}",
                "data": {
                    "rule": hold.rule,
                    "proposal": proposal.pk,
                    "action_type": proposal.action_type,
                    "bundle": [b.pk for b in hold.bundle],
                    **hold.data,
                },
                "evidence": [{"memory": e.pk} for e in hold.evidence]
                + [{"model": "approvals.proposedaction", "pk": proposal.pk, "version": None}],
            },
        )
        if parked is not None:
            held.append(parked)
    return held


# --- the rules as part of the gate (every proposal created or edited), and holds that clear -------

RULES_BY_NAME = {
    "spend_on_stockout": rule_spend_on_stockout,
    "pacing_over": rule_pacing_over,
    "send_clash": rule_send_clash,
    "discount_preference": rule_discount_preference,
}

CLEARED = {
    "spend_on_stockout": "the products no longer run out before their next delivery",
    "pacing_over": "the channel no longer paces over its monthly budget",
    "send_clash": "no other send reaches the segment within 24 hours any more",
    "discount_preference": "the discount is within every stated preference now",
}

_HELD_BY = re.compile(r"^Held by rule (?P<rule>[a-z_]+):")


def released_by_person(pks: set[int]) -> set[int]:
    """The proposals among `pks` whose hold a person lifted with a reason: the rules leave them be."""
    return set(
        Decision.objects.filter(proposal_id__in=pks, verdict=Verdict.RELEASE, user__isnull=False).values_list(
            "proposal_id", flat=True
        )
    )


def judge_one(proposal: ProposedAction) -> Judgement | None:
    """The gate's judge (connected with `approvals.hooks.connect_judge`): the first rule that holds
    this proposal, with its current arguments, among today's pending work."""
    proposal.__dict__.pop("_campaign_of", None)  # an edit may have changed what it acts on
    pending = [p for p in pending_proposals() if p.pk != proposal.pk]
    pending.append(proposal)
    for rule in RULES:
        hold = rule(proposal, pending)
        if hold is not None:
            return Judgement(hold.rule, hold.reason, tuple(hold.bundle))
    return None


def held_rule(proposal: ProposedAction) -> str | None:
    """Which rule holds a proposal: named in its hold reason (the gate), or in the hold's memory note
    (the morning cycle). None for a hold no rule made."""
    named = _HELD_BY.match(proposal.hold_reason or "")
    if named:
        return named.group("rule")
    note = _current(f"proposal:{proposal.pk}:hold")
    rule = (note.data or {}).get("rule") if note is not None else None
    return rule if isinstance(rule, str) else None


def holds_rejudge() -> list[ProposedAction]:
    """Release every rule-held proposal whose rule no longer holds it (recorded as the rule's release
    decision, with the condition that cleared). Run each cycle and after each data import."""
    held = [p for p in pending_proposals() if p.hold_reason]
    pending = pending_proposals()
    released: list[ProposedAction] = []
    for proposal in held:
        name = held_rule(proposal)
        rule = RULES_BY_NAME.get(name or "")
        if name is None or rule is None or rule(proposal, pending) is not None:
            continue
        done = proposal_release_by_rule(
            proposal=proposal, rule=name, reason=f"{CLEARED[name]}: released by the rule that held it."
        )
        if done is not None:
            released.append(done)
    return released


def holds_rejudge_after_import(**kwargs: object) -> None:
    """`brand.signals.data_imported` receiver: new stock or spend may clear a hold."""
    transaction.on_commit(holds_rejudge)
