"""The briefing's headlines: exactly one win, one risk and one opportunity, each with its numbers and
the drafted work attached, then the rest of the pending work ranked.

Candidates come from what the specialists wrote to memory (operations' stock-outs, paid media's
ROAS per campaign, intelligence's trends) and from the pending proposals: the orchestrator reads
the team's findings, it does not recompute their analyses. Each candidate is scored like any
proposal (money x confidence x urgency) and the best of each kind heads the briefing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, Sum
from django.db.models.functions import Coalesce

from agents.models import ItemKind
from agents.orchestrator import rules
from agents.orchestrator.ranking import Ranked, rank, urgency
from approvals.models import ProposedAction, Status
from brand import models as bm
from brand.clock import brand_tz, days_window
from brand.money import money_words
from memory.models import MemoryEntry

ZERO = Decimal("0")
RISK_TYPES = ("po.create", "po.confirm", "ads.pause_campaign", "pricing.retire_discount", "calendar.reschedule")
OPPORTUNITY_TYPES = (
    "email.send_campaign",
    "segment.build",
    "pricing.create_discount",
    "pricing.set_markdown",
    "ads.set_daily_budget",
    "ads.resume_campaign",
    "ads.create_campaign",
    "calendar.add",
)
# What a campaign must carry to be the win of the day, in the shop's own terms (the orchestrator's
# config overrides them): a share of the account's ad spend over 28 days and enough purchases for its
# ROAS to be more than a few lucky orders; no dollar amount suits a $20-a-day shop and a $20,000 one.
WIN_DEFAULTS: dict[str, Any] = {"win_min_spend_share": 0.05, "win_min_purchases_28d": 12, "win_min_roas": 4}
TREND_MIN_UNITS = 40
TREND_MIN_RATIO = Decimal("1.5")
MAX_RANKED = 25
MATERIAL_SHARE_OF_DAY = Decimal("0.1")


@dataclass
class Headline:
    kind: str
    title: str
    text: str
    numbers: dict[str, Any]
    money: Decimal
    confidence: float
    urgency: float
    division: str | None = None
    proposals: list[ProposedAction] = field(default_factory=list)
    money_basis: str = ""
    why: str = ""  # why this one out of the day's candidates, in plain words
    runner_up: str = ""  # the title of the next best candidate of the kind, if any
    candidates: int = 0

    @property
    def score(self) -> float:
        return float(self.money) * self.confidence * self.urgency

    def ranking(self) -> dict[str, Any]:
        return {
            "why": self.why,
            "runner_up": self.runner_up,
            "candidates": self.candidates,
            "money_at_stake": f"{self.money:.2f}",
            "money_basis": self.money_basis,
            "confidence": round(self.confidence, 2),
            "urgency": round(self.urgency, 2),
            "score": round(self.score, 2),
            "formula": "value at stake x confidence x urgency",
        }


def _pending() -> list[ProposedAction]:
    return list(
        ProposedAction.objects.filter(status=Status.PENDING)
        .select_related("division")
        .prefetch_related("evidence", "bundled_with")
        .order_by("created_at", "pk")
    )


# --- risks --------------------------------------------------------------------------------------


def _entity(entry: MemoryEntry) -> str:
    """The entity of a keyed fact: `HP-104` of `sku:HP-104:days_of_cover`."""
    return (entry.key or "").split(":")[1]


def _current(prefix: str, suffix: str) -> list[MemoryEntry]:
    """The team's current facts under keys `<prefix>...<suffix>` (e.g. every SKU's days of cover)."""
    return list(
        MemoryEntry.objects.filter(key__startswith=prefix, key__endswith=suffix, is_current=True).select_related(
            "division"
        )
    )


def _daily_revenue(today: dt.date, days: int = 28) -> Decimal:
    """The shop's average day of sales over the last `days` whole days."""
    start, end = days_window(today, days, brand_tz())
    total = bm.OrderLine.objects.filter(order__created_at__gte=start, order__created_at__lt=end).aggregate(
        revenue=Coalesce(Sum(F("quantity") * F("price"), output_field=DecimalField()), ZERO)
    )["revenue"]
    return Decimal(total) / days


def stockout_risks(today: dt.date, now: dt.datetime, pending: list[ProposedAction]) -> list[Headline]:
    found = []
    for entry in _current("sku:", ":days_of_cover"):
        data = entry.data or {}
        if entry.key is None or not data.get("runs_out_before_delivery"):
            continue
        sku = _entity(entry)
        variant = bm.Variant.objects.filter(sku=sku).select_related("product", "supplier").first()
        cover = Decimal(str((entry.value if entry.has_value else None) or 0))
        lead = Decimal(str(data.get("lead_time_days") or (variant.effective_lead_time_days if variant else 0) or 0))
        # Operations counts the units of the last 28 days; the money at risk is at today's price.
        units_day = Decimal(str(data.get("units_28d") or 0)) / 28
        revenue_day = units_day * (variant.price if variant else ZERO)
        gap = max(ZERO, lead - cover)
        at_risk = (revenue_day * gap).quantize(Decimal("1"))
        attached = [
            p
            for p in pending
            if (p.action_type in RISK_TYPES and sku in rules.skus_of(p)) or (p.hold_reason and sku in rules.skus_of(p))
        ]
        # The reorder the day already drafted counts even when policy approved it at once.
        attached += [p for p in _recent_fixes(now) if sku in rules.skus_of(p) and p not in attached]
        name = str(variant) if variant else sku
        supplier = variant.supplier.name if variant and variant.supplier is not None else "the supplier"
        delivery = (
            f"its lead time is unknown (assuming {lead:.0f} days, no supplier on record)"
            if data.get("lead_time_assumed")
            else f"{supplier} needs {lead:.0f} days to deliver"
        )
        text = (
            f"{name} has {cover:.0f} days of stock at {units_day:.1f} units a day; {delivery}, so it is out for "
            f"about {gap:.0f} days: {money_words(at_risk, whole=True)} of sales at risk."
        )
        if attached:
            text += " Drafted: " + "; ".join(f"#{p.pk} {p.title or p.action_type} ({p.status})" for p in attached) + "."
        urg, _ = urgency(now + dt.timedelta(days=float(cover)), now)
        found.append(
            Headline(
                kind=ItemKind.RISK,
                title=f"{sku} runs out before its next delivery",
                text=text,
                numbers={
                    "sku": sku,
                    "days_of_cover": float(cover),
                    "lead_time_days": float(lead),
                    "days_out_of_stock": float(gap),
                    "units_per_day": round(float(units_day), 2),
                    "revenue_per_day": f"{revenue_day:.2f}",
                    "revenue_at_risk": f"{at_risk:.2f}",
                },
                money=at_risk,
                money_basis=f"{gap:.0f} days out of stock x {money_words(revenue_day, whole=True)} a day",
                confidence=float(entry.confidence),
                urgency=urg,
                division="operations",
                proposals=attached,
            )
        )
    return found


def _recent_fixes(now: dt.datetime) -> list[ProposedAction]:
    # A reorder brief (no supplier on record) is approved by policy at once: it is the fix all the same.
    return list(
        ProposedAction.objects.filter(
            action_type__in=(*RISK_TYPES, "brief.draft"), created_at__gte=now - dt.timedelta(hours=24)
        )
        .exclude(status__in=[Status.PENDING, Status.REJECTED, Status.CANCELLED, Status.EXPIRED])
        .select_related("division")
        .order_by("pk")
    )


def _is_cut(p: ProposedAction) -> bool:
    return p.action_type == "ads.set_daily_budget" and rules.raised_spend_campaign(p) is None


def _is_opportunity(p: ProposedAction) -> bool:
    """Work that grows something: a send, a promotion, a raise (a budget cut protects, it is not a chance)."""
    if p.action_type not in OPPORTUNITY_TYPES or p.hold_reason:
        return False
    if p.action_type == "ads.set_daily_budget":
        return rules.raised_spend_campaign(p) is not None
    return True


def proposal_headline(kind: str, ranked: Ranked) -> Headline:
    p = ranked.proposal
    text = p.preview or p.title or p.action_type
    if p.rationale:
        text = f"{text}. {p.rationale.strip()}"
    if p.hold_reason:
        text += f" (Held: {p.hold_reason})"
    return Headline(
        kind=kind,
        title=(p.title or p.action_type)[:200],
        text=text,
        numbers={"proposal": p.pk, "action_type": p.action_type, **ranked.inputs()},
        money=ranked.money,
        money_basis=ranked.money_basis,
        confidence=ranked.confidence,
        urgency=ranked.urgency,
        division=p.division.slug,
        proposals=[p, *p.bundled_with.all()],
    )


# --- wins ---------------------------------------------------------------------------------------


def campaign_wins(
    pending: list[ProposedAction], short_skus: set[str], config: dict[str, Any] | None = None
) -> list[Headline]:
    """Paid media's `campaign:<id>:roas_28d` facts: the campaigns earning most per dollar over 28 days,
    unless scaling them would sell out a SKU, or they carry too small a share of the account to matter."""
    cfg = {**WIN_DEFAULTS, **(config or {})}
    entries = _current("campaign:", ":roas_28d")
    spends = {e.pk: Decimal(str((e.data or {}).get("spend") or 0)) for e in entries}
    account = sum(spends.values(), ZERO)
    facts = {}
    for entry in entries:
        data = entry.data or {}
        spend, revenue = spends[entry.pk], Decimal(str(data.get("revenue") or 0))
        share = spend / account if account else ZERO
        if (
            spend > 0
            and share >= Decimal(str(cfg["win_min_spend_share"]))
            # A fact written before paid media counted purchases is judged on its share and ROAS alone.
            and (data.get("purchases") is None or int(data["purchases"]) >= int(cfg["win_min_purchases_28d"]))
            and revenue / spend >= Decimal(str(cfg["win_min_roas"]))
        ):
            facts[int(_entity(entry))] = (entry, spend, revenue, share)
    campaigns = bm.AdCampaign.objects.filter(pk__in=facts).prefetch_related("skus")
    found = []
    for campaign in campaigns:
        entry, spend, revenue, share = facts[campaign.pk]
        roas = revenue / spend
        if short_skus & {v.sku for v in campaign.skus.all()}:
            continue
        attached = [p for p in pending if p.action_type.startswith("ads.") and rules.campaign_of(p) == campaign]
        text = (
            f"{campaign.name} ({campaign.get_channel_display()}) returned {roas:.1f}x its spend over 28 days: "
            f"{money_words(revenue, whole=True)} of revenue on {money_words(spend, whole=True)}, {share:.0%} of the "
            f"account's {money_words(account, whole=True)} ad spend."
        )
        if attached:
            text += " Drafted: " + "; ".join(f"#{p.pk} {p.preview or p.title}" for p in attached) + "."
        found.append(
            Headline(
                kind=ItemKind.WIN,
                title=f"{campaign.name} is earning {roas:.1f}x",
                text=text,
                numbers={
                    "campaign": campaign.name,
                    "roas_28d": round(float(roas), 2),
                    "revenue_28d": f"{revenue:.2f}",
                    "spend_28d": f"{spend:.2f}",
                    "share_of_account": round(float(share), 3),
                    "memory": entry.key,
                },
                money=revenue - spend,
                money_basis="28-day revenue minus spend",
                confidence=min(0.9, float(entry.confidence)),
                urgency=1.0,
                division="growth",
                proposals=attached,
            )
        )
    return found


def trend_wins(pending: list[ProposedAction]) -> list[Headline]:
    """Intelligence's rising `product:<handle>:trend_wow` facts with enough volume to matter."""
    facts = {}
    for entry in _current("product:", ":trend_wow"):
        data = entry.data or {}
        units, before = int(data.get("units_7d") or 0), int(data.get("units_prev_7d") or 0)
        if data.get("rising") and units >= TREND_MIN_UNITS and before and Decimal(units) / before >= TREND_MIN_RATIO:
            facts[_entity(entry)] = (entry, units, before)
    products = bm.Product.objects.filter(handle__in=facts).prefetch_related("variants")
    found = []
    for product in products:
        entry, units, before = facts[product.handle]
        skus = {v.sku for v in product.variants.all()}
        # Money in play: the last week's units at today's prices (the product's mean price).
        prices = [v.price for v in product.variants.all()]
        revenue = (Decimal(units) * sum(prices, ZERO) / len(prices)).quantize(Decimal("1")) if prices else ZERO
        growth = Decimal(units) / before - 1
        attached = [p for p in pending if skus & set(rules.skus_of(p)) and not p.hold_reason]
        found.append(
            Headline(
                kind=ItemKind.WIN,
                title=f"{product.title} is trending: up {growth:.0%} week on week",
                text=f"{product.title} sold {units} units in the last 7 days against {before} the week before "
                f"(about {money_words(revenue, whole=True)} of sales).",
                numbers={
                    "product": product.handle,
                    "units_7d": units,
                    "units_prev_7d": before,
                    "growth": round(float(growth), 3),
                    "memory": entry.key,
                },
                money=revenue,
                money_basis="last 7 days' units at today's prices",
                confidence=min(0.8, float(entry.confidence)),
                urgency=1.0,
                division="intelligence",
                proposals=attached,
            )
        )
    return found


# --- assembling ---------------------------------------------------------------------------------


WORDS: dict[str, str] = {ItemKind.WIN: "win", ItemKind.RISK: "risk", ItemKind.OPPORTUNITY: "opportunity"}


def _empty(kind: str) -> Headline:
    words = WORDS[kind]
    head = Headline(kind, f"No {words} stood out today", "Nothing in today's data cleared the bar.", {}, ZERO, 0, 1)
    head.why = (
        "Nothing urgent: no specialist found a stock-out, a failing campaign or held work today."
        if kind == ItemKind.RISK
        else f"No {words} candidate today: nothing cleared its specialist's bar."
    )
    return head


def _weighs(h: Headline) -> str:
    basis = f" ({h.money_basis})" if h.money_basis else ""
    return f"{money_words(h.money, whole=True)} at stake{basis}, {h.confidence:.0%} confidence, urgency {h.urgency:.2f}"


def choose(kind: str, candidates: list[Headline]) -> Headline:
    """The best candidate of a kind by score, with why it beat the others and the runner-up named."""
    ordered = sorted(candidates, key=lambda h: -h.score)
    if not ordered:
        return _empty(kind)
    best, rest = ordered[0], ordered[1:]
    best.candidates = len(ordered)
    word = WORDS[kind]
    if not rest:
        best.why = f"The only {word} candidate today: {_weighs(best)}."
        return best
    runner = rest[0]
    best.runner_up = runner.title
    if runner.score == best.score:
        edge = "level on score with it; the first found leads"
    elif runner.score > 0:
        edge = f"{best.score / runner.score:.1f} times the score of the runner-up"
    else:
        edge = "the runner-up puts nothing measurable at stake"
    best.why = (
        f"Chosen out of {len(ordered)} {word} candidates on value at stake x confidence x urgency: {_weighs(best)}, "
        f"{edge}. Runner-up: {runner.title} ({_weighs(runner)})."
    )
    return best


def headlines(
    today: dt.date, now: dt.datetime, config: dict[str, Any] | None = None
) -> tuple[dict[str, Headline], list[Ranked]]:
    """The win, the risk and the opportunity, and the rest of the pending work ranked."""
    pending = _pending()
    ranked = rank(pending, now)
    stockouts = stockout_risks(today, now, pending)
    short = {h.numbers["sku"] for h in stockouts}
    # A PO or a pause that is the fix of a stock-out is that risk, not a second one.
    covered = {p.pk for h in stockouts for p in h.proposals}
    # The risk of the day is material: a stock-out that puts less than a tenth of a day's sales at
    # risk (a slow SKU of a big catalogue) waits among the ranked work, it does not head the briefing.
    floor = _daily_revenue(today) * MATERIAL_SHARE_OF_DAY
    risks = [h for h in stockouts if h.money >= floor]
    minor = len(stockouts) - len(risks)
    risks += [
        proposal_headline(ItemKind.RISK, r)
        for r in ranked
        if (r.proposal.action_type in RISK_TYPES or r.proposal.hold_reason or _is_cut(r.proposal))
        and r.proposal.pk not in covered
    ]
    risk = choose(ItemKind.RISK, risks)
    if minor and not risks:
        risk.why += (
            f" {minor} stock-out(s) each put less than {MATERIAL_SHARE_OF_DAY:.0%} of a day's sales "
            f"({money_words(floor / MATERIAL_SHARE_OF_DAY, whole=True)}) at risk; their reorders wait below."
        )

    used = {p.pk for p in risk.proposals}
    wins = campaign_wins(pending, short, config) + trend_wins(pending)
    wins = [w for w in wins if not used & {p.pk for p in w.proposals}]
    win = choose(ItemKind.WIN, wins)
    used |= {p.pk for p in win.proposals}

    chances = [
        proposal_headline(ItemKind.OPPORTUNITY, r)
        for r in ranked
        if _is_opportunity(r.proposal)
        and r.proposal.pk not in used
        and rules.raised_spend_campaign(r.proposal) not in _campaigns_short(short)
    ]
    opportunity = choose(ItemKind.OPPORTUNITY, chances)
    used |= {p.pk for p in opportunity.proposals}
    rest = [r for r in ranked if r.proposal.pk not in used]
    return {"win": win, "risk": risk, "opportunity": opportunity}, rest


def _campaigns_short(skus: set[str]) -> set[bm.AdCampaign]:
    return set(bm.AdCampaign.objects.filter(skus__sku__in=skus)) if skus else set()
