"""What approvals tells the shared memory: decisions and outcomes, with an author on record."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memory.selectors import feedback_key
from memory.services import remember

from .models import Decision, ProposedAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


def memory_author(
    proposal: ProposedAction, user: User | None = None, *, decisions: Sequence[Decision] | None = None
) -> dict[str, Any] | None:
    """Memory needs one author: the deciding person, else the proposing agent run, else a person who
    approved or proposed it. None when nobody is on record (a system-made proposal).

    `decisions`: the proposal's decisions, oldest first with their users, when the caller has them."""
    if user is not None:
        return {"author_user": user}
    if proposal.agent_run_id is not None:
        return {"author_run": proposal.agent_run}
    if decisions is None:
        approver = (
            Decision.objects.filter(proposal=proposal, user__isnull=False)
            .select_related("user")
            .order_by("-at")
            .first()
        )
    else:
        approver = next((d for d in reversed(decisions) if d.user is not None), None)
    if approver is not None:
        return {"author_user": approver.user}
    if proposal.proposed_by_id is not None:
        return {"author_user": proposal.proposed_by}
    return None


def remember_about(
    proposal: ProposedAction,
    *,
    kind: str,
    text: str,
    user: User | None = None,
    data: dict | None = None,
    decisions: Sequence[Decision] | None = None,
) -> None:
    """Decisions and outcomes go to the shared memory, so tomorrow's agents know what was done and why."""
    author = memory_author(proposal, user, decisions=decisions)
    if author is None:
        logger.info("proposal %s: no author on record, %s not written to memory", proposal.pk, kind)
        return
    remember(
        text=text[:4000],
        kind=kind,
        subject=(proposal.title or proposal.action_type)[:200],
        data={"proposal": proposal.pk, "action_type": proposal.action_type, "args": proposal.args, **(data or {})},
        division=proposal.division,
        evidence=[{"model": "approvals.proposedaction", "pk": proposal.pk, "version": None}],
        **author,
    )


def remember_feedback(proposal: ProposedAction, *, user: User, comment: str) -> None:
    """A send-back comment becomes feedback its agent reads the next time it proposes this kind of
    action (`feedback:<agent>:<action type>:<proposal>`); a person-made proposal has no agent to tell."""
    if not proposal.agent_key:
        return
    remember(
        text=f"{user.get_username()} sent back {proposal.title or proposal.action_type}: {comment}"[:4000],
        kind="decision",
        key=feedback_key(proposal.agent_key, proposal.action_type, proposal.pk),
        subject=f"Feedback on {proposal.action_type}"[:200],
        data={
            "value": comment,
            "proposal": proposal.pk,
            "action_type": proposal.action_type,
            "agent": proposal.agent_key,
            "verdict": "send_back",
            "args": proposal.args,
        },
        division=proposal.division,
        evidence=[{"model": "approvals.proposedaction", "pk": proposal.pk, "version": None}],
        author_user=user,
    )
