"""The errors the approval services raise: each names what went wrong and where, nothing is half-done."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt


class ApprovalError(Exception):
    """Base class: a clear message for a person, raised before anything was changed."""


class UnknownActionType(ApprovalError):
    pass


class InvalidArguments(ApprovalError):
    pass


class NotPermitted(ApprovalError):
    pass


class InvalidTransition(ApprovalError):
    pass


class StaleBasis(ApprovalError):
    """The rows the proposal rests on changed since it was made; the proposal is now `stale`."""


class TransientActionError(Exception):
    """Raised by an action or a connector for a failure worth retrying (SMTP down, webhook 5xx, timeout).

    Not an ApprovalError: it never reaches a person directly; the executor retries with backoff and
    marks the proposal `failed` with this message once the attempts are used up.
    """


class ActionNotDue(Exception):
    """Raised by an action whose effect is scheduled later (an e-mail for Friday 9:00).

    The executor hands the proposal back as `approved` with `next_attempt_at = until`, without
    counting an attempt; the sweeper executes it when due, and it can still be cancelled until then.
    """

    def __init__(self, until: dt.datetime, message: str = "") -> None:
        self.until = until
        super().__init__(message or f"not due before {until.isoformat()}")
