"""Signed, single-use approval links for the digest e-mails.

A link names the proposal, the person it was sent to and the verdict, signed with a salted
TimestampSigner and valid for 24 hours. GET only shows the proposal and a confirm button (a mail
scanner that fetches the link changes nothing); the POST decides through the same services, once:
the token's hash is recorded in LinkUse, so a second use is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .errors import ApprovalError
from .models import LinkUse, ProposedAction

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
