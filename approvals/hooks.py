"""Hooks other apps connect to, so that approvals needs to import none of them.

`on_send_back`: the agents app connects a receiver that re-runs the proposing agent with the
comment, so that it drafts a revision (`revision_of` = the sent-back proposal). Receivers run after
the send-back has committed; a failing receiver is logged and does not undo the decision.

`judge`: the agents app connects the orchestrator's cross-division rules, which `proposal_create`
and the edit path call inside their transaction, so that every proposal passes the same rules
wherever it comes from (cycle, request, send-back revision, edit-and-approve).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ProposedAction

logger = logging.getLogger(__name__)

SendBackReceiver = Callable[["ProposedAction", str], None]
_send_back_receivers: dict[str, SendBackReceiver] = {}


def connect_send_back(receiver: SendBackReceiver, *, dispatch_uid: str | None = None) -> SendBackReceiver:
    """Register `receiver(proposal, comment)`; the same dispatch_uid registers once."""
    _send_back_receivers[dispatch_uid or f"{receiver.__module__}.{receiver.__qualname__}"] = receiver
    return receiver


def disconnect_send_back(dispatch_uid: str) -> None:
    _send_back_receivers.pop(dispatch_uid, None)


def on_send_back(proposal: ProposedAction, comment: str) -> None:
    """Called by `proposal_send_back` (after commit) with the proposal and the reviewer's comment."""
    for uid, receiver in list(_send_back_receivers.items()):
        try:
            receiver(proposal, comment)
        except Exception:
            # The decision stands whatever the agent does with it; the failure is visible in the logs
            # and, for agent runs, on the run itself.
            logger.exception("send-back receiver %s failed for proposal %s", uid, getattr(proposal, "pk", None))


# --- judgement: the cross-division rules, as part of the gate ------------------------------------


@dataclass(frozen=True)
class Judgement:
    """Why a rule holds a proposal: the rule's name, its reason in words, the work that settles it."""

    rule: str
    reason: str
    bundle: tuple[ProposedAction, ...] = ()

    @property
    def hold_reason(self) -> str:
        # The hold names its rule, so the console and the admin say which rule held what and why.
        return f"Held by rule {self.rule}: {self.reason}"


Judge = Callable[["ProposedAction"], "Judgement | None"]
_judges: dict[str, Judge] = {}


def connect_judge(judge: Judge, *, dispatch_uid: str | None = None) -> Judge:
    """Register `judge(proposal) -> Judgement | None`, run on every proposal created or edited; the
    same dispatch_uid registers once."""
    _judges[dispatch_uid or f"{judge.__module__}.{judge.__qualname__}"] = judge
    return judge


def disconnect_judge(dispatch_uid: str) -> None:
    _judges.pop(dispatch_uid, None)


def judge(proposal: ProposedAction) -> Judgement | None:
    """The first judge's hold on the proposal (with its current arguments), or None.

    Called inside the creating or editing transaction. A judge that fails holds the proposal
    (fail closed: a gate that cannot judge does not wave work through), naming the failure."""
    for uid, receiver in list(_judges.items()):
        try:
            found = receiver(proposal)
        except Exception as exc:
            logger.exception("judge %s failed for proposal %s", uid, getattr(proposal, "pk", None))
            return Judgement(uid, f"the rules could not be checked ({type(exc).__name__}: {exc}); a person decides.")
        if found is not None:
            return found
    return None


# --- what the console says of the proposing agent's record --------------------------------------------

TrackRecordWords = Callable[["ProposedAction"], str]
_track_records: dict[str, TrackRecordWords] = {}


def connect_track_record(words: TrackRecordWords, *, dispatch_uid: str | None = None) -> TrackRecordWords:
    """Register `words(proposal) -> str`, the proposing agent's record on that kind of action, shown beside
    the proposal ("this agent's last 10 budget changes: 7 worked, ..."); the agents app keeps the records."""
    _track_records[dispatch_uid or f"{words.__module__}.{words.__qualname__}"] = words
    return words


def track_record_words(proposal: ProposedAction) -> str:
    """What the registered describers say of the proposal's agent; a failing one is logged and left out
    (a console page must not break on a record it cannot read)."""
    said = []
    for uid, words in list(_track_records.items()):
        try:
            said.append(words(proposal))
        except Exception:
            logger.exception("track record %s failed for proposal %s", uid, getattr(proposal, "pk", None))
    return "; ".join(text for text in said if text)
