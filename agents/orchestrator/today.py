"""Today, the console's front page: what one person reads and decides first thing in the morning.

Reads only, each scoped by division in its queryset: the briefing's win, risk and opportunity with
their drafted work, what waits for this person, the held work, yesterday's runs, the team's health
and the open memory conflicts. Money is written by the brand's one money helper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Subquery, Sum, Value, When, Window
from django.utils import timezone

from agents.models import AgentRun, Briefing, BriefingItem, Cycle, ItemKind, RunStatus
from agents.runtime.selectors import runs_visible_to
from approvals import policy
from approvals.models import ProposedAction, Status
from approvals.selectors import proposals_decidable_by, proposals_visible_to
from brand.clock import brand_day_start, brand_today
from brand.money import money_words
from divisions import permissions
from memory.selectors import conflicts_visible_to

WAITING_SHOWN = 20
HELD_SHOWN = 20
CARD_KINDS = (ItemKind.WIN, ItemKind.RISK, ItemKind.OPPORTUNITY)

# The briefing's figures, in words: which keys are money, which are ratios; machinery stays out.
_MONEY_HINTS = ("revenue", "spend", "money", "budget", "cost", "value", "profit", "at_risk", "amount")
_HIDDEN = {"proposal", "action_type", "formula", "score", "money_basis", "hours_to_expiry"}

if TYPE_CHECKING:
    from divisions.permissions import Someone


def number_in_words(key: str, value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str) and not _is_number(value):
        return value
    if any(hint in key for hint in _MONEY_HINTS):
        return money_words(Decimal(str(value)), whole=True)
    number = float(value)
    if key.startswith("roas"):
        return f"{number:.1f}x"
    if key in ("urgency", "track_weight"):
        return f"x{number:.2f}"  # multipliers of the score, 1 = neutral
    if key in ("growth", "confidence", "reported_confidence", "urgency_share") or key.endswith(("_rate", "_share")):
        return f"{number:.0%}"
    if "days" in key:
        return f"{number:.0f} day{'s' if round(number) != 1 else ''}"
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


_ACRONYMS = {"roas": "ROAS", "sku": "SKU", "ctr": "CTR", "po": "PO", "llm": "LLM", "vip": "VIP"}


# The ranking's inputs under the names people use (its "money" is the value at stake: approvals.valuing).
_LABELS = {
    "money_at_stake": "Value at stake",
    "reported_confidence": "The agent's own confidence",
    "urgency": "Urgency (by expiry)",
    "track_weight": "Track-record weight",
}


def _label(key: str) -> str:
    if key in _LABELS:
        return _LABELS[key]
    words = [_ACRONYMS.get(w, w) for w in key.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:] if text else text


def numbers_in_words(numbers: dict[str, Any]) -> list[tuple[str, str]]:
    """[("Revenue 28d", "$12,400"), ...]; the how of a money figure follows it in words."""
    out = [
        (_label(key), number_in_words(key, value))
        for key, value in (numbers or {}).items()
        if key not in _HIDDEN and not isinstance(value, dict | list)
    ]
    if numbers and numbers.get("money_basis"):
        out.append(("How it is counted", str(numbers["money_basis"])))
    return out


@dataclass
class Card:
    kind: str
    title: str
    text: str
    division: str
    numbers: list[tuple[str, str]]
    proposals: list[ProposedAction]


@dataclass
class Health:
    last_cycle: Cycle | None
    runs: int
    failed: int
    llm_cost: str
    llm_budget: str
    over_budget: bool


@dataclass
class Today:
    date: dt.date
    briefing_date: dt.date | None
    narrative: str
    cards: list[Card]
    waiting: list[ProposedAction]
    waiting_total: int
    held: list[ProposedAction]
    held_total: int
    failed_runs: list[AgentRun]
    health: Health
    conflicts: list[Any]
    divisions: list[Any] = field(default_factory=list)


def dress_proposals(proposals: list[ProposedAction], user: Someone) -> list[ProposedAction]:
    """Money in words and what the person may do, on each proposal the page lists."""
    deciding = permissions.access(user).deciding_ids()
    for p in proposals:
        # What it spends, or what it is worth when that is its own figure (a send's expected revenue).
        p.money_words = p.stake_short if p.value_differs else money_words(p.money_at_stake, whole=True)  # type: ignore[attr-defined]
        p.decidable = p.status == Status.PENDING and not p.is_held and p.division_id in deciding  # type: ignore[attr-defined]
        p.four_eyes = policy.needs_four_eyes(p)  # type: ignore[attr-defined]
    return proposals


def waiting_for(user: Someone) -> QuerySet[ProposedAction]:
    """What this person may decide now, most urgent first: what expires soonest, then the highest ranked."""
    return (
        proposals_decidable_by(user)
        .filter(hold_reason="")
        .order_by(F("expires_at").asc(nulls_last=True), "-priority", "pk")
    )


def _latest_briefing(date: dt.date) -> Subquery:
    """Today's briefing, else the latest one: the morning still has its cards before the cycle ends."""
    today_first = Case(When(brand_date=date, then=Value(0)), default=Value(1))
    return Subquery(Briefing.objects.order_by(today_first, "-brand_date").values("pk")[:1])


def _cards(user: Someone, date: dt.date) -> tuple[dt.date | None, str, list[Card]]:
    visible = permissions.access(user).visible_ids()
    # The cards and their briefing in one query, their proposals in one more.
    items = list(
        BriefingItem.objects.filter(briefing=_latest_briefing(date), kind__in=CARD_KINDS)
        .filter(Q(division__isnull=True) | Q(division__in=sorted(visible)))
        .select_related("briefing", "division")
        .prefetch_related(Prefetch("proposals", queryset=ProposedAction.objects.select_related("division")))
    )
    briefing = items[0].briefing if items else Briefing.objects.filter(pk=_latest_briefing(date)).first()
    if briefing is None:
        return None, "", []
    by_kind = {item.kind: item for item in items}
    cards = []
    for kind in CARD_KINDS:
        item = by_kind.get(kind)
        if item is None:
            continue
        proposals = [p for p in item.proposals.all() if p.division_id in visible]
        cards.append(
            Card(
                kind=kind,
                title=item.title,
                text=item.text,
                division=item.division.name if item.division is not None else "",
                numbers=numbers_in_words(item.numbers),
                proposals=dress_proposals(sorted(proposals, key=lambda p: p.pk), user),
            )
        )
    return briefing.brand_date, briefing.narrative, cards


def _health(user: Someone, since: dt.datetime, today_start: dt.datetime) -> tuple[Health, list[AgentRun]]:
    runs = runs_visible_to(user, AgentRun.objects.filter(queued_at__gte=since))
    mine = Q(pk__in=runs.values("pk"))
    # The LLM budget is the whole team's: everyone sees the same spend against it. One pass over the
    # runs since the earlier of the two moments counts theirs and sums the team's spend.
    counts = AgentRun.objects.filter(queued_at__gte=min(since, today_start)).aggregate(
        total=Count("pk", filter=mine),
        failed=Count("pk", filter=mine & Q(status=RunStatus.FAILED)),
        cost=Sum("cost", filter=Q(queued_at__gte=today_start)),
    )
    failed = list(runs.filter(status=RunStatus.FAILED).select_related("agent").order_by("-queued_at")[:10])
    cost = counts["cost"] or Decimal("0")
    budget = Decimal(settings.ATLAS_DAILY_COST_BUDGET)
    health = Health(
        last_cycle=Cycle.objects.order_by("-started_at").first(),
        runs=counts["total"],
        failed=counts["failed"],
        llm_cost=f"${cost:,.2f}",
        llm_budget=f"${budget:,.2f}",
        over_budget=cost >= budget,
    )
    return health, failed


def today_for(user: Someone, *, now: dt.datetime | None = None) -> Today:
    now = now or timezone.now()
    date = brand_today()
    briefing_date, narrative, cards = _cards(user, date)
    # Each list carries its own total (a window count), so no second query counts it.
    waiting = list(waiting_for(user).annotate(total=Window(Count("pk")))[:WAITING_SHOWN])
    held = list(
        proposals_visible_to(user)
        .filter(status=Status.PENDING)
        .exclude(hold_reason="")
        .annotate(total=Window(Count("pk")))
        .prefetch_related("bundled_with")
        .order_by("pk")[:HELD_SHOWN]
    )
    health, failed = _health(user, now - dt.timedelta(days=1), brand_day_start(date))
    return Today(
        date=date,
        briefing_date=briefing_date,
        narrative=narrative,
        cards=cards,
        waiting=dress_proposals([*waiting], user),
        waiting_total=waiting[0].total if waiting else 0,
        held=dress_proposals([*held], user),
        held_total=held[0].total if held else 0,
        failed_runs=failed,
        health=health,
        conflicts=list(conflicts_visible_to(user).filter(is_open=True).order_by("-created_at")[:10]),
        divisions=permissions.visible_division_list(user),
    )
