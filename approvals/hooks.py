"""Hooks other apps connect to, so that approvals needs to import none of them.

`on_send_back`: the agents app connects a receiver that re-runs the proposing agent with the
comment, so that it drafts a revision (`revision_of` = the sent-back proposal). Receivers run after
the send-back has committed; a failing receiver is logged and does not undo the decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
