"""Running the due outcome checks and writing their verdicts to the shared memory.

Each check is its own transaction: a check that breaks is reported and the others carry on. The
verdict goes to `outcome:proposal:<id>` (kind "outcome"), written by the proposing agent's run (or
the person who decided it, for a person's proposal), with the numbers, the baseline and the
confidence. A person's own note on that key is never overwritten, and a "too early" is written once
and checked again on the next run until the data is there.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from agents.outcomes.checks import CHECKS, MIN_DAYS, TOO_EARLY, VERDICT_WORDS, Outcome, Window
from agents.outcomes.selectors import outcomes_due
from approvals.remembering import memory_author
from brand.clock import brand_today
from memory.models import Kind, MemoryEntry
from memory.selectors import current, outcome_key
from memory.services import remember

logger = logging.getLogger(__name__)

# A "too early" this long after its window closed will not ripen: the data is not coming.
GIVE_UP_AFTER_DAYS = 28


@dataclass
class OutcomesRun:
    today: dt.date
    checked: int = 0
    written: list[MemoryEntry] = field(default_factory=list)
    too_early: list[int] = field(default_factory=list)
    kept_notes: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "checked": self.checked,
            "written": [
                {"entry": e.pk, "key": e.key, "verdict": e.data.get("verdict"), "confidence": e.confidence}
                for e in self.written
            ],
            "too_early": self.too_early,
            "kept_person_notes": self.kept_notes,
            "failed": {str(pk): error for pk, error in self.failed.items()},
        }


def outcome_judge(window: Window) -> Outcome:
    """The check of the window's action type, with the two cases no check decides by itself: an action
    undone too soon to judge, and data that never arrived."""
    if window.undone_by is not None and window.after_days < MIN_DAYS:
        return Outcome(
            TOO_EARLY,
            0.0,
            f"Undone by #{window.undone_by.pk} after {window.after_days} day(s): too little time to judge.",
            {"days_after": window.after_days},
            settled=True,
        )
    outcome = CHECKS[window.proposal.action_type](window)
    if not outcome.final and (window.today - window.after[1]).days > GIVE_UP_AFTER_DAYS:
        outcome.summary += (
            f" The data has not come in {GIVE_UP_AFTER_DAYS} days after the window closed: not checked again."
        )
        outcome.settled = True
    return outcome


@transaction.atomic
def outcome_record(*, window: Window, outcome: Outcome) -> MemoryEntry | None:
    """Write the verdict to memory; None when a person's note holds the key, or nothing new was learnt."""
    proposal = window.proposal
    key = outcome_key(proposal.pk)
    existing = current(key)
    if existing is not None and (existing.data or {}).get("check") != "outcome":
        return None  # a person's own note on this outcome: theirs stands
    if existing is not None and existing.data.get("verdict") == outcome.verdict == TOO_EARLY and not outcome.settled:
        return existing  # still too early: one entry says so, not one a day
    author = memory_author(proposal)
    if author is None:
        logger.info("proposal %s: nobody on record to author its outcome", proposal.pk)
        return None
    undone = ""
    if window.undone_by is not None:
        undone = f" Judged up to {window.after[1]}: #{window.undone_by.pk} changed the same target then."
    text = (
        f"Outcome of #{proposal.pk} {proposal.title or proposal.action_type}: {VERDICT_WORDS[outcome.verdict]}"
        + (f" ({outcome.confidence:.0%} confidence)" if outcome.verdict != TOO_EARLY else "")
        + f". {outcome.summary}{undone}"
    )
    return remember(
        kind=Kind.OUTCOME,
        key=key,
        subject=(proposal.title or proposal.action_type)[:200],
        text=text[:4000],
        data={
            "check": "outcome",
            "value": outcome.verdict,
            "verdict": outcome.verdict,
            "final": outcome.final,
            "proposal": proposal.pk,
            "action_type": proposal.action_type,
            "agent": proposal.agent_key,
            "money_at_stake": str(proposal.money_at_stake),
            "numbers": outcome.numbers,
            "baseline": outcome.baseline,
            "executed_on": window.executed_on.isoformat(),
            "before": [window.before[0].isoformat(), window.before[1].isoformat()],
            "after": [window.after[0].isoformat(), window.after[1].isoformat()],
            "undone_by": window.undone_by.pk if window.undone_by is not None else None,
        },
        confidence=outcome.confidence,
        division=proposal.division,
        evidence=[{"model": "approvals.proposedaction", "pk": proposal.pk, "version": None}],
        **author,
    )


def outcomes_run_due(*, today: dt.date | None = None, proposal_ids: list[int] | None = None) -> OutcomesRun:
    """Check every executed gated action whose horizon has passed and whose outcome is not settled."""
    today = today or brand_today()
    run = OutcomesRun(today=today)
    for window in outcomes_due(today, proposal_ids=proposal_ids):
        pk = window.proposal.pk
        run.checked += 1
        try:
            outcome = outcome_judge(window)
            entry = outcome_record(window=window, outcome=outcome)
        except Exception as exc:  # one broken check must not cost the others theirs
            logger.exception("outcome check of proposal %s failed", pk)
            run.failed[pk] = f"{type(exc).__name__}: {exc}"
            continue
        if entry is None:
            run.kept_notes.append(pk)
        elif not outcome.final:
            run.too_early.append(pk)
        else:
            run.written.append(entry)
    return run
