"""Reads for the outcome checks: which executed actions are due, over which days; and track records."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from agents.outcomes.checks import CHECKS, TOO_EARLY, VERDICT_WORDS, VERDICTS, WORKED, Window
from approvals import registry
from approvals.errors import ApprovalError
from approvals.models import Category, Decision, Execution, ProposedAction, Status, Verdict
from brand.clock import brand_tz, day_start
from memory.models import Kind, MemoryEntry
from memory.selectors import outcome_key


def _brand_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(brand_tz()).date()


def horizon_days(action_type: str) -> int:
    return registry.get(action_type).outcome_horizon_days


def checked_types() -> list[str]:
    """Action types with an outcome check and a horizon."""
    return [key for key in CHECKS if _registered(key) and horizon_days(key) > 0]


def _registered(key: str) -> bool:
    return any(action.key == key for action in registry.all_types())


def executed_gated() -> Any:
    """Executed proposals that spent, messaged or scheduled, of a type with an outcome check."""
    return ProposedAction.objects.filter(status=Status.EXECUTED, action_type__in=checked_types()).exclude(
        category=Category.INTERNAL
    )


def settled_proposal_ids(proposal_ids: list[int]) -> set[int]:
    """Proposals whose outcome is settled: a final verdict on record, or a person's own note on its key."""
    keys = {outcome_key(pk): pk for pk in proposal_ids}
    rows = MemoryEntry.objects.filter(key__in=list(keys), is_current=True).values_list("key", "data")
    settled = set()
    for key, data in rows:
        data = data or {}
        if key in keys and (data.get("check") != "outcome" or data.get("final")):
            settled.add(keys[key])
    return settled


def _undone_by(
    proposal: ProposedAction, execution: Execution, until: dt.datetime
) -> tuple[ProposedAction, Execution] | None:
    """The first later executed action on the same target (a second budget change, a pause) before `until`."""
    target = registry.get(proposal.action_type).target(proposal.args)
    later = (
        Execution.objects.filter(ok=True, finished_at__gt=execution.finished_at, finished_at__lt=until)
        .exclude(proposal_id=proposal.pk)
        .select_related("proposal")
        .order_by("finished_at")
    )
    for other in later:
        try:
            other_target = registry.get(other.proposal.action_type).target(other.proposal.args)
        except ApprovalError:  # an action type whose code is gone: nothing we can compare targets with
            continue
        if other_target == target:
            return other.proposal, other
    return None


def window_for(proposal: ProposedAction, execution: Execution, today: dt.date) -> Window:
    """The days before and after the execution (the execution day itself is neither: it is half and half),
    the after-days cut where a later action on the same target undid it."""
    horizon = horizon_days(proposal.action_type)
    executed_on = _brand_day(execution.finished_at or execution.started_at)
    before = (executed_on - dt.timedelta(days=horizon), executed_on)
    after_start = executed_on + dt.timedelta(days=1)
    after = (after_start, after_start + dt.timedelta(days=horizon))
    undone = _undone_by(proposal, execution, day_start(after[1], brand_tz()))
    undone_by = None
    if undone is not None:
        undone_by, later = undone
        undone_on = _brand_day(later.finished_at or later.started_at)
        after = (after_start, max(after_start, undone_on))
    return Window(
        proposal=proposal,
        execution=execution,
        executed_on=executed_on,
        before=before,
        after=after,
        today=today,
        undone_by=undone_by,
    )


def outcomes_due(today: dt.date, *, proposal_ids: list[int] | None = None) -> list[Window]:
    """Executed gated actions whose after-window has passed and whose outcome is not settled yet."""
    qs = executed_gated().select_related("division", "agent_run")
    if proposal_ids is not None:
        qs = qs.filter(pk__in=proposal_ids)
    proposals = list(qs.order_by("pk"))
    settled = settled_proposal_ids([p.pk for p in proposals])
    executions = {
        e.proposal_id: e
        for e in Execution.objects.filter(ok=True, proposal_id__in=[p.pk for p in proposals if p.pk not in settled])
    }
    due = []
    for proposal in proposals:
        execution = executions.get(proposal.pk)
        if proposal.pk in settled or execution is None:
            continue
        window = window_for(proposal, execution, today)
        if window.after[1] <= today:
            due.append(window)
    return due


# --- track records --------------------------------------------------------------------------------


@dataclass
class TrackRecord:
    agent_key: str
    action_type: str
    proposed: int = 0
    approved: int = 0
    sent_back: int = 0
    rejected: int = 0
    executed: int = 0
    money_moved: Decimal = Decimal("0")
    outcomes: Counter = field(default_factory=Counter)

    @property
    def judged(self) -> int:
        return sum(n for verdict, n in self.outcomes.items() if verdict != TOO_EARLY)

    def success_rate(self, *, prior_successes: float = 1.0, prior_judged: float = 2.0) -> float:
        """Worked over judged outcomes, shrunk towards 50% by a prior of one success in two: a new
        agent starts in the middle, and one lucky or unlucky outcome moves it only a little."""
        return (self.outcomes[WORKED] + prior_successes) / (self.judged + prior_judged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent_key,
            "action_type": self.action_type,
            "proposed": self.proposed,
            "approved": self.approved,
            "sent_back": self.sent_back,
            "rejected": self.rejected,
            "executed": self.executed,
            "money_moved": str(self.money_moved),
            "outcomes": {verdict: self.outcomes[verdict] for verdict in VERDICTS},
            "success_rate": round(self.success_rate(), 3),
        }


def _outcome_verdicts(proposal_ids: list[int]) -> dict[int, str]:
    keys = {outcome_key(pk): pk for pk in proposal_ids}
    rows = MemoryEntry.objects.filter(kind=Kind.OUTCOME, key__in=list(keys), is_current=True).values_list("key", "data")
    return {keys[key]: verdict for key, data in rows if key in keys and (verdict := _verdict_of(data)) in VERDICTS}


def _verdict_of(data: dict | None) -> str:
    """A check's verdict, or a person's own verdict on the outcome (their note's value) which stands instead."""
    data = data or {}
    return str(data.get("verdict") or data.get("value") or "")


def track_record(*, agent_key: str | None = None, action_type: str | None = None) -> list[TrackRecord]:
    """Per agent and action type: proposals made, approved, sent back, rejected, executed, the money the
    executed ones moved, and how their outcomes came out. Person-made proposals are not an agent's."""
    qs = ProposedAction.objects.exclude(agent_key="")
    if agent_key:
        qs = qs.filter(agent_key=agent_key)
    if action_type:
        qs = qs.filter(action_type=action_type)
    rows = list(qs.values_list("pk", "agent_key", "action_type", "status", "money_at_stake"))
    ids = [row[0] for row in rows]
    approved_ids = set(
        Decision.objects.filter(proposal_id__in=ids, verdict__in=[Verdict.APPROVE, Verdict.EDIT_APPROVE])
        .exclude(via="policy")
        .values_list("proposal_id", flat=True)
    )
    verdicts = _outcome_verdicts(ids)
    records: dict[tuple[str, str], TrackRecord] = {}
    for pk, agent, kind, status, money in rows:
        record = records.setdefault((agent, kind), TrackRecord(agent, kind))
        record.proposed += 1
        record.approved += pk in approved_ids
        record.sent_back += status == Status.SENT_BACK
        record.rejected += status == Status.REJECTED
        if status == Status.EXECUTED:
            record.executed += 1
            record.money_moved += money or Decimal("0")
        if pk in verdicts:
            record.outcomes[verdicts[pk]] += 1
    return sorted(records.values(), key=lambda r: (r.agent_key, r.action_type))


def success_rates() -> dict[tuple[str, str], float]:
    """Each agent's shrunk success rate per action type (the orchestrator's ranking weight)."""
    return {(r.agent_key, r.action_type): r.success_rate() for r in track_record()}


LINE_SIZE = 10


def track_record_line(proposal: ProposedAction) -> str:
    """ "this agent's last 10 ads.set_daily_budget: 7 worked, 2 no clear effect, 1 backfired" — the
    proposing agent's latest judged outcomes of this kind, for the console beside each proposal."""
    if not proposal.agent_key:
        return "proposed by a person: no agent track record"
    label = registry.get(proposal.action_type).plural or proposal.action_type
    earlier = (
        MemoryEntry.objects.filter(
            Q(data__agent=proposal.agent_key) & Q(data__action_type=proposal.action_type),
            kind=Kind.OUTCOME,
            is_current=True,
            key__startswith="outcome:proposal:",
        )
        .exclude(data__verdict=TOO_EARLY)
        .exclude(key=outcome_key(proposal.pk) if proposal.pk else None)
        .order_by("-valid_from", "-id")
        .values_list("data", flat=True)[:LINE_SIZE]
    )
    verdicts = Counter((data or {}).get("verdict") for data in earlier)
    total = sum(verdicts.values())
    if not total:
        return f"this agent has no judged {label} yet"
    parts = [f"{verdicts[v]} {VERDICT_WORDS[v]}" for v in VERDICTS if v != TOO_EARLY and verdicts[v]]
    return f"this agent's last {total} {label}: {', '.join(parts)}"


# --- what the briefing cites --------------------------------------------------------------------------

LESSONS = 3
LESSON_DAYS = 45


@dataclass(frozen=True)
class Lesson:
    """A judged outcome of recent work, with the proposing agent's record on that kind of action."""

    proposal_id: int
    verdict: str
    text: str
    record: str

    def as_dict(self) -> dict[str, Any]:
        return {"proposal": self.proposal_id, "verdict": self.verdict, "outcome": self.text, "record": self.record}


def recent_lessons(*, today: dt.date, days: int = LESSON_DAYS, limit: int = LESSONS) -> list[Lesson]:
    """The latest judged outcomes (not "too early") of actions executed in the `days` before `today`,
    newest first, each with its agent's track record on that kind: what the morning briefing cites."""
    since = today - dt.timedelta(days=days)
    entries = (
        MemoryEntry.objects.filter(kind=Kind.OUTCOME, is_current=True, key__startswith="outcome:proposal:")
        .exclude(data__verdict=TOO_EARLY)
        .order_by("-valid_from", "-id")
        .values_list("data", "text")[: limit * 10]
    )
    records = {(r.agent_key, r.action_type): r for r in track_record()}
    lessons: list[Lesson] = []
    for data, text in entries:
        data = data or {}
        executed = data.get("executed_on")
        if data.get("verdict") not in VERDICTS or not executed or dt.date.fromisoformat(executed) < since:
            continue
        record = records.get((str(data.get("agent") or ""), str(data.get("action_type") or "")))
        lessons.append(
            Lesson(
                proposal_id=int(data.get("proposal") or 0),
                verdict=str(data["verdict"]),
                text=text,
                record=_record_words(record),
            )
        )
        if len(lessons) >= limit:
            break
    return lessons


def _record_words(record: TrackRecord | None) -> str:
    if record is None or not record.judged:
        return ""
    counts = ", ".join(
        f"{record.outcomes[v]} {VERDICT_WORDS[v]}" for v in VERDICTS if v != TOO_EARLY and record.outcomes[v]
    )
    label = registry.get(record.action_type).plural or record.action_type
    return f"{record.agent_key}'s {label} so far: {counts}"
