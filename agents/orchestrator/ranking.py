"""Ranking by expected impact: money at stake x confidence x urgency (by expiry).

The inputs travel with every ranked item (`BriefingItem.ranking`), so that a person can see why one
proposal sits above another and disagree with a number rather than with a black box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg

from approvals.models import ProposedAction

# Keys under which an agent may leave its own estimate of what a proposal is worth in the data of
# the memory entries it cites (revenue protected or gained), used when it exceeds money_at_stake.
ESTIMATE_KEYS = ("expected_revenue", "revenue_at_risk", "revenue_at_stake", "value_at_stake", "money_at_stake")
# A send's value when no agent estimated it: recipients x average order value x this response rate.
EMAIL_RESPONSE_RATE = Decimal("0.02")
# Urgency: 1 with no expiry; 2 at expiry, 1.5 a day before, approaching 1 far away.
URGENCY_HALF_LIFE_HOURS = 24.0


@dataclass
class Ranked:
    proposal: ProposedAction
    money: Decimal
    money_basis: str
    confidence: float
    urgency: float
    hours_to_expiry: float | None

    @property
    def score(self) -> float:
        return float(self.money) * self.confidence * self.urgency

    def inputs(self) -> dict[str, Any]:
        return {
            "money_at_stake": f"{self.money:.2f}",
            "money_basis": self.money_basis,
            "confidence": round(self.confidence, 2),
            "urgency": round(self.urgency, 2),
            "hours_to_expiry": None if self.hours_to_expiry is None else round(self.hours_to_expiry, 1),
            "score": round(self.score, 2),
            "formula": "money at stake x confidence x urgency",
        }


def urgency(expires_at: dt.datetime | None, now: dt.datetime) -> tuple[float, float | None]:
    """(urgency, hours left): 1 + 24 / (24 + hours left), so work about to expire comes first."""
    if expires_at is None:
        return 1.0, None
    hours = max(0.0, (expires_at - now).total_seconds() / 3600)
    return 1 + URGENCY_HALF_LIFE_HOURS / (URGENCY_HALF_LIFE_HOURS + hours), hours


def impact_money(
    proposal: ProposedAction, segment_orders: dict[int, tuple[int, Decimal]] | None = None
) -> tuple[Decimal, str]:
    """What the proposal puts at stake or is worth, and where the figure comes from."""
    best, basis = proposal.money_at_stake or Decimal("0"), "money at stake of the action"
    for entry in proposal.evidence.all():
        for key in ESTIMATE_KEYS:
            value = (entry.data or {}).get(key)
            try:
                amount = Decimal(str(value)) if value is not None else None
            except ArithmeticError:
                amount = None
            if amount is not None and amount > best:
                best, basis = amount, f"{key.replace('_', ' ')} from memory #{entry.pk}"
    if best == 0 and proposal.action_type == "email.send_campaign":
        estimate = _send_estimate(proposal, {} if segment_orders is None else segment_orders)
        if estimate is not None:
            best, basis = estimate
    return best, basis


def _send_estimate(
    proposal: ProposedAction, segment_orders: dict[int, tuple[int, Decimal]]
) -> tuple[Decimal, str] | None:
    from agents.orchestrator.rules import targets
    from brand import models as bm

    email_ids = [pk for pk in targets(proposal, "email") if pk.isdigit()]
    email = bm.EmailCampaign.objects.filter(pk__in=email_ids[:1]).select_related("segment").first()
    segment = email.segment if email else bm.Segment.objects.filter(key__in=targets(proposal, "segment")[:1]).first()
    if segment is None:
        return None
    if segment.pk not in segment_orders:
        # Several sends often target one segment: its size and average order are read once a ranking.
        members = segment.customers.values("pk")
        stats = bm.Order.objects.filter(customer_id__in=members).aggregate(aov=Avg("total"))
        segment_orders[segment.pk] = (segment.customers.count(), Decimal(stats["aov"] or 0))
    recipients, average = segment_orders[segment.pk]
    aov = average.quantize(Decimal("0.01"))
    if not recipients or not aov:
        return None
    value = (recipients * aov * EMAIL_RESPONSE_RATE).quantize(Decimal("0.01"))
    return value, f"estimate: {recipients} recipients x {aov} average order x {EMAIL_RESPONSE_RATE:.0%} response"


def rank_one(
    proposal: ProposedAction, now: dt.datetime, segment_orders: dict[int, tuple[int, Decimal]] | None = None
) -> Ranked:
    money, basis = impact_money(proposal, segment_orders)
    urg, hours = urgency(proposal.expires_at, now)
    return Ranked(proposal, money, basis, float(proposal.confidence or 0), urg, hours)


def rank(proposals: list[ProposedAction], now: dt.datetime) -> list[Ranked]:
    """Highest expected impact first; ties by the agents' own priority, then the oldest."""
    segment_orders: dict[int, tuple[int, Decimal]] = {}
    ranked = [rank_one(p, now, segment_orders) for p in proposals]
    ranked.sort(key=lambda r: (-r.score, -r.proposal.priority, r.proposal.pk))
    return ranked
