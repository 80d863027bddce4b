"""Ranking by expected impact: value at stake (approvals.valuing) x confidence x urgency (by expiry) x track record.

The agent's track record on the kind of action enters twice, gently: its reported confidence is
calibrated towards how often its judged outcomes of that kind worked (the more outcomes, the more
weight they get), and the score is weighted between 0.8 and 1.2 by its success rate, shrunk to 50%
by a prior so that a new agent ranks exactly as before.

The inputs travel with every ranked item (`BriefingItem.ranking`), so that a person can see why one
proposal sits above another and disagree with a number rather than with a black box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agents.outcomes.checks import WORKED
from agents.outcomes.selectors import TrackRecord, track_record
from approvals.models import ProposedAction

# Urgency: 1 with no expiry; 2 at expiry, 1.5 a day before, approaching 1 far away.
URGENCY_HALF_LIFE_HOURS = 24.0
# How many judged outcomes weigh as much as the agent's own confidence when calibrating it.
CALIBRATION_PRIOR = 5
# The score's track-record weight: 1 - SPREAD at a 0% success rate, 1 + SPREAD at 100%.
TRACK_SPREAD = 0.4


@dataclass
class Ranked:
    proposal: ProposedAction
    money: Decimal
    money_basis: str
    confidence: float
    urgency: float
    hours_to_expiry: float | None
    track_weight: float = 1.0
    track_basis: str = "no judged outcomes yet"
    reported_confidence: float | None = None

    @property
    def score(self) -> float:
        return float(self.money) * self.confidence * self.urgency * self.track_weight

    def inputs(self) -> dict[str, Any]:
        return {
            "money_at_stake": f"{self.money:.2f}",
            "money_basis": self.money_basis,
            "confidence": round(self.confidence, 2),
            "reported_confidence": round(
                self.confidence if self.reported_confidence is None else self.reported_confidence, 2
            ),
            "urgency": round(self.urgency, 2),
            "hours_to_expiry": None if self.hours_to_expiry is None else round(self.hours_to_expiry, 1),
            "track_weight": round(self.track_weight, 2),
            "track_record": self.track_basis,
            "score": round(self.score, 2),
            "formula": "value at stake x confidence (calibrated by the track record) x urgency x track weight",
        }


def calibrated(confidence: float, record: TrackRecord | None) -> float:
    """The reported confidence pulled towards the share of the agent's judged outcomes that worked."""
    if record is None or not record.judged:
        return confidence
    worked = record.outcomes[WORKED] / record.judged
    return (confidence * CALIBRATION_PRIOR + worked * record.judged) / (CALIBRATION_PRIOR + record.judged)


def track_weight(record: TrackRecord | None) -> tuple[float, str]:
    if record is None or not record.judged:
        return 1.0, "no judged outcomes yet"
    rate = record.success_rate()
    words = f"{record.outcomes[WORKED]} of {record.judged} judged outcomes worked (shrunk rate {rate:.0%})"
    return 1 + TRACK_SPREAD * (rate - 0.5), words


def urgency(expires_at: dt.datetime | None, now: dt.datetime) -> tuple[float, float | None]:
    """(urgency, hours left): 1 + 24 / (24 + hours left), so work about to expire comes first."""
    if expires_at is None:
        return 1.0, None
    hours = max(0.0, (expires_at - now).total_seconds() / 3600)
    return 1 + URGENCY_HALF_LIFE_HOURS / (URGENCY_HALF_LIFE_HOURS + hours), hours


def impact_money(proposal: ProposedAction) -> tuple[Decimal, str]:
    """What the proposal puts at stake or is worth, and where the figure comes from: the value stored
    with it when it was made (`approvals.valuing`), so the briefing and the console never disagree."""
    if not proposal.value_kind:
        return proposal.money_at_stake or Decimal("0"), "money at stake of the action"
    how = f": {proposal.value_basis}" if proposal.value_basis else ""
    return proposal.value_at_stake, f"{proposal.value_kind}{how}"


def rank_one(
    proposal: ProposedAction, now: dt.datetime, records: dict[tuple[str, str], TrackRecord] | None = None
) -> Ranked:
    money, basis = impact_money(proposal)
    urg, hours = urgency(proposal.expires_at, now)
    if records is None:
        records = track_records_by_key(agent_key=proposal.agent_key, action_type=proposal.action_type)
    record = records.get((proposal.agent_key, proposal.action_type)) if proposal.agent_key else None
    reported = float(proposal.confidence or 0)
    weight, words = track_weight(record)
    return Ranked(proposal, money, basis, calibrated(reported, record), urg, hours, weight, words, reported)


def track_records_by_key(**filters: Any) -> dict[tuple[str, str], TrackRecord]:
    return {(r.agent_key, r.action_type): r for r in track_record(**filters)}


def rank(proposals: list[ProposedAction], now: dt.datetime) -> list[Ranked]:
    """Highest expected impact first; ties by the agents' own priority, then the oldest."""
    records = track_records_by_key()
    ranked = [rank_one(p, now, records) for p in proposals]
    ranked.sort(key=lambda r: (-r.score, -r.proposal.priority, r.proposal.pk))
    return ranked
