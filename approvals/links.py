"""Signed, single-use approval links for the digest e-mails.

A link names the proposal, the person it was sent to and the verdict, signed with a salted
TimestampSigner and valid for 24 hours. GET only shows the proposal and a confirm button (or the
form asking for the reason or comment: a mail scanner that fetches the link changes nothing); the
POST decides through `proposal_decide`, which records the token's hash in LinkUse in the
decision's own transaction: a decision that fails leaves the link usable, a second use is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import policy
from .errors import ApprovalError
from .models import VERDICT_DONE, Decision, LinkUse, ProposedAction, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SALT = "atlas.approvals.link"
MAX_AGE_SECONDS = 24 * 3600
VERDICTS = ("approve", "reject", "send_back")


class LinkError(ApprovalError):
    """The link is forged, expired, used already or meant for someone else."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(proposal: ProposedAction, user: User, verdict: str) -> str:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict={verdict!r}: expected one of {', '.join(VERDICTS)}")
    # The nonce makes two links for the same triple distinct, so each is single-use on its own.
    payload = {"p": proposal.pk, "u": user.pk, "v": verdict, "n": secrets.token_hex(6)}
    return _signer().sign_object(payload, compress=True)


def approval_link(proposal: ProposedAction, user: User, verdict: str) -> str:
    """Absolute URL (ATLAS_SITE_URL) of a link that lets `user` take `verdict` on `proposal`."""
    path = reverse("approvals:link", args=[make_token(proposal, user, verdict)])
    return settings.ATLAS_SITE_URL.rstrip("/") + path


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_token(token: str, *, max_age: int = MAX_AGE_SECONDS) -> dict:
    try:
        payload = _signer().unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError("this approval link has expired (links are valid for 24 hours)") from None
    except signing.BadSignature:
        raise LinkError("this approval link is not valid") from None
    if not isinstance(payload, dict) or payload.get("v") not in VERDICTS:
        raise LinkError("this approval link is not valid")
    return payload


def is_used(token: str) -> bool:
    return LinkUse.objects.filter(token_hash=token_hash(token)).exists()


def link_use(token: str) -> LinkUse | None:
    return LinkUse.objects.select_related("decision", "user").filter(token_hash=token_hash(token)).first()


def link_check(token: str, *, proposal: ProposedAction, user: User | None, verdict: str) -> None:
    """The link is genuine, unused, and carries this very decision: proposal, person and verdict."""
    payload = read_token(token)
    if (payload["p"], payload["u"], payload["v"]) != (proposal.pk, getattr(user, "pk", None), verdict):
        raise LinkError(f"this link does not carry a {verdict} of proposal #{proposal.pk} by this person")
    if is_used(token):
        raise LinkError("this link has been used already")


def link_use_record(token: str, *, decision: Decision) -> LinkUse:
    """Use the link up; called inside the decision's transaction, so the two stand or fall together."""
    if decision.user is None:
        raise LinkError("a link carries a person's decision; this one has none")
    try:
        with transaction.atomic():
            return LinkUse.objects.create(
                token_hash=token_hash(token),
                proposal=decision.proposal,
                user=decision.user,
                verdict=decision.verdict,
                decision=decision,
            )
    except IntegrityError:
        # Used by a concurrent request between the check and now: this decision is rolled back.
        raise LinkError("this link has been used already") from None


def _names(decisions: Iterable[Decision]) -> str:
    return ", ".join(f"{d.actor_label} on {timezone.localtime(d.at):%Y-%m-%d %H:%M}" for d in decisions)


def link_blocker(proposal: ProposedAction, *, verdict: str, user: User | None) -> str:
    """Why this link cannot decide the proposal now, in plain words (which decision was taken, by
    whom); empty when it can. Reads only: the page shown on GET changes nothing."""
    now = timezone.now()
    if proposal.status == Status.PENDING and proposal.expires_at and proposal.expires_at <= now:
        return (
            f"this proposal expired at {timezone.localtime(proposal.expires_at):%Y-%m-%d %H:%M} without the "
            "approvals it needed; nothing will be done, and it can no longer be decided"
        )
    decisions = Decision.objects.filter(proposal=proposal).order_by("at")
    if proposal.status == Status.PENDING:
        if verdict != "approve":
            return ""
        if proposal.proposed_by_id is not None and proposal.proposed_by_id == getattr(user, "pk", None):
            return "you asked for this work, so someone else must approve it (four-eyes)"
        mine = decisions.filter(user=user, verdict__in=policy.APPROVING_VERDICTS).first()
        if mine is not None:
            missing = policy.approvals_status(proposal).missing
            return f"you approved this proposal already ({_names([mine])}); it still needs {missing or 'nothing'}"
        if proposal.is_held:
            return (
                f"this proposal is on hold ({proposal.hold_reason}): it cannot be approved until a director "
                "releases the hold. This link stays usable until then, within its 24 hours"
            )
        return ""
    if proposal.status == Status.STALE:
        return f"this proposal went stale and can no longer be decided: {proposal.status_reason}"
    if proposal.status == Status.EXPIRED:
        return f"this proposal expired and can no longer be decided: {proposal.status_reason}"
    state = proposal.get_status_display().lower()
    if proposal.status in (Status.APPROVED, Status.EXECUTING, Status.EXECUTED, Status.FAILED):
        approvals = list(decisions.filter(verdict__in=policy.APPROVING_VERDICTS))
        by = f": approved by {_names(approvals)}" if approvals else ""
        return f"this proposal has been decided already{by}; it is now {state}"
    closing = decisions.filter(verdict__in=list(VERDICT_DONE)).last()
    if closing is None:
        return f"this proposal is {state} and can no longer be decided"
    said = f" ({closing.comment})" if closing.comment else ""
    return (
        f"this proposal has been decided already: {VERDICT_DONE.get(closing.verdict, closing.verdict)} by "
        f"{_names([closing])}{said}; it is now {state}"
    )
