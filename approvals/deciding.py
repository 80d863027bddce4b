"""Deciding on a proposal: `proposal_decide` is the one door the console, the e-mail link and the
`atlas_decide` command go through.

A decision is one transaction: the proposal's conditional move, the Decision row, the note to
memory and, for an e-mail link, the link's single use (so a decision that fails leaves its link
usable). The checks whose outcome stands on its own (a proposal found expired, a basis found
stale) run before that transaction opens and commit by themselves, so the proposal shows its true
state even though the decision was refused.

The per-verdict functions below are the internals. `proposal_approve` and its siblings stay public
for code that decides without a person's channel (tests, the state-machine model) and return the
proposal; the private `_approve` and its siblings return the Decision they wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from atlas_project.audit import Actor, acting_as, history_write
from divisions import permissions

from . import hooks, policy, registry
from .errors import InvalidArguments, InvalidTransition, NotPermitted
from .executor import dispatch_on_commit
from .guards import (
    check_basis,
    describe,
    lock_pending,
    reload,
    require_decider,
    require_open,
    transition,
    user_label,
)
from .links import link_check, link_use_record
from .models import VERDICT_DONE, Decision, ProposedAction, Status, Verdict
from .remembering import remember_about, remember_feedback

if TYPE_CHECKING:
    from django.contrib.auth.models import User

VIAS = ("console", "link", "command")
DECIDING_VERDICTS = (
    Verdict.APPROVE,
    Verdict.EDIT_APPROVE,
    Verdict.SEND_BACK,
    Verdict.REJECT,
    Verdict.CANCEL,
    Verdict.RELEASE,
)


def proposal_decide(
    *,
    proposal: ProposedAction,
    user: User,
    verdict: str,
    comment: str = "",
    args: dict | None = None,
    via: str = "console",
    link: str | None = None,
) -> Decision:
    """One person's decision on one proposal, whichever way it arrives; returns the Decision written
    (its `proposal` is the proposal as it stands afterwards).

    verdict: approve | edit_approve (with `args`) | send_back (comment required) | reject (the
    reason in `comment`, required) | cancel (an approved proposal not yet executing) | release (a
    held proposal, by a director or owner, with the reason in `comment`).
    via: console | link | command; a decision via link carries the link's signed token in `link`,
    and the link is used up by this decision only, in its transaction.
    """
    proposal = reload(proposal)
    if via not in VIAS:
        raise InvalidArguments(f"proposal #{proposal.pk}: via={via!r}, expected one of {', '.join(VIAS)}")
    if verdict not in DECIDING_VERDICTS:
        raise InvalidArguments(
            f"proposal #{proposal.pk}: verdict={verdict!r}, expected one of {', '.join(DECIDING_VERDICTS)}"
        )
    if (link is None) != (via != "link"):
        raise InvalidArguments(f"proposal #{proposal.pk}: a decision via a link carries the link, and only such a one")
    if (args is not None) != (verdict == Verdict.EDIT_APPROVE):
        raise InvalidArguments(
            f"proposal #{proposal.pk}: new arguments go with edit_approve, and edit_approve needs them"
        )
    if not isinstance(comment, str):
        raise InvalidArguments(f"proposal #{proposal.pk}: the comment must be text, got {type(comment).__name__}")
    if link is not None:
        link_check(link, proposal=proposal, user=user, verdict=verdict)
    _settle_first(proposal, user=user, verdict=verdict)
    with transaction.atomic():
        decision = _DECIDERS[verdict](proposal, user=user, comment=comment.strip(), args=args, via=via)
        if link is not None:
            link_use_record(link, decision=decision)
    return decision


def _settle_first(proposal: ProposedAction, *, user: User, verdict: str) -> None:
    """Expiry and a stale basis commit on their own: find them before the decision's transaction,
    which would otherwise roll them back along with the refused decision."""
    if verdict in (Verdict.CANCEL, Verdict.RELEASE):
        return
    require_decider(proposal, user)
    approving = verdict in policy.APPROVING_VERDICTS
    require_open(proposal, for_approval=approving)
    if approving:
        check_basis(proposal, registry.get(proposal.action_type))


# --- approval ----------------------------------------------------------------------------------


def approve_if_satisfied(proposal: ProposedAction, *, reason: str) -> ProposedAction:
    """With enough approvals for the policy: `approved`, and its execution queued after commit."""
    status = policy.approvals_status(proposal)
    if not status.satisfied:
        return reload(proposal)
    proposal = transition(
        proposal, from_statuses=[Status.PENDING], to=Status.APPROVED, reason=reason, extra_filter={"hold_reason": ""}
    )
    dispatch_on_commit(proposal.pk)
    return proposal


def _refuse_requester(proposal: ProposedAction, user: User) -> None:
    # Four-eyes means four eyes: the person who asked for the work (or proposed it) never approves it.
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise NotPermitted(
            f"proposal #{proposal.pk}: {user.get_username()} proposed it (asked for this work) and cannot approve it; "
            "another approver must"
        )


def _approve(proposal: ProposedAction, *, user: User, comment: str, via: str) -> Decision:
    proposal = reload(proposal)
    require_decider(proposal, user)
    _refuse_requester(proposal, user)
    require_open(proposal, for_approval=True)
    check_basis(proposal, registry.get(proposal.action_type))
    return _record_approval(proposal, user=user, verdict=Verdict.APPROVE, comment=comment, via=via)


@transaction.atomic
def _record_approval(
    proposal: ProposedAction, *, user: User, verdict: str, comment: str, via: str, args_diff: dict | None = None
) -> Decision:
    lock_pending(proposal, for_approval=True)
    if Decision.objects.filter(proposal=proposal, user=user, verdict__in=policy.APPROVING_VERDICTS).exists():
        raise InvalidTransition(f"proposal #{proposal.pk}: {user.get_username()} has already approved it")
    label = user_label(user)
    with acting_as(Actor.for_user(user)):
        try:
            with transaction.atomic():
                decision = Decision.objects.create(
                    proposal=proposal,
                    user=user,
                    actor_label=label,
                    verdict=verdict,
                    comment=comment,
                    args_diff=args_diff or {},
                    via=via,
                )
        except IntegrityError:
            raise InvalidTransition(f"proposal #{proposal.pk}: {user.get_username()} has already approved it") from None
        proposal = approve_if_satisfied(proposal, reason=f"approved by {label}")
        status = policy.approvals_status(proposal)
        words = "approved" if verdict == Verdict.APPROVE else "edited and approved"
        tail = "" if status.satisfied else f"; still needs {status.missing}"
        remember_about(
            proposal,
            kind="decision",
            user=user,
            text=f"{label} {words} {proposal.title or proposal.action_type}: {proposal.preview}{tail}"
            + (f". Comment: {comment}" if comment else ""),
            data={"verdict": verdict, "args_diff": args_diff or {}, "status": proposal.status},
        )
    decision.proposal = proposal
    return decision


def _edit_approve(proposal: ProposedAction, *, user: User, args: dict, comment: str, via: str) -> Decision:
    """Change the arguments (re-validated by the action type, the diff recorded on the Decision, the
    money and so four-eyes recomputed) and approve them."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    _refuse_requester(proposal, user)
    require_open(proposal, for_approval=True)
    if not isinstance(args, dict):
        raise InvalidArguments(f"proposal #{proposal.pk}: the new arguments must be a mapping of field to value")
    action = registry.get(proposal.action_type)
    parsed = action.parse(args)
    new_args = action.dump(parsed)
    diff = {
        field: [proposal.args.get(field), new_args.get(field)]
        for field in sorted(set(proposal.args) | set(new_args))
        if proposal.args.get(field) != new_args.get(field)
    }
    if not diff:
        return _approve(proposal, user=user, comment=comment, via=via)
    if Decision.objects.filter(proposal=proposal, verdict__in=policy.APPROVING_VERDICTS).exists():
        # Earlier approvers approved other arguments; editing under them would borrow their names.
        raise InvalidTransition(
            f"proposal #{proposal.pk} already has an approval of its current arguments; "
            "send it back or reject it instead of editing"
        )
    check_basis(proposal, action)
    info = describe(action, parsed, evidence=proposal.evidence.all())
    with transaction.atomic():
        updated = ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING, hold_reason="").update(
            args=new_args, updated_at=timezone.now(), **info
        )
        if updated != 1:
            raise InvalidTransition(f"proposal #{proposal.pk} changed while editing; try again")
        with acting_as(Actor.for_user(user)):
            history_write([proposal], reason=f"edited by {user_label(user)}")
        _judge_edit(proposal, new_args)
        return _record_approval(
            proposal, user=user, verdict=Verdict.EDIT_APPROVE, comment=comment, via=via, args_diff=diff
        )


def _judge_edit(proposal: ProposedAction, new_args: dict) -> None:
    """The edited arguments pass the same rules as a new proposal; one that breaks a rule is refused
    with the rule named (the edit rolls back), unless a person already released this proposal's hold."""
    if Decision.objects.filter(proposal=proposal, verdict=Verdict.RELEASE, user__isnull=False).exists():
        return
    proposal.args = new_args
    judgement = hooks.judge(proposal)
    if judgement is not None:
        raise InvalidTransition(f"proposal #{proposal.pk}: the edit is refused. {judgement.hold_reason}")


# --- closing: send back, reject, cancel ----------------------------------------------------------


def _close(
    proposal: ProposedAction,
    *,
    user: User,
    verdict: str,
    to: str,
    from_statuses: list[str],
    text: str,
    via: str,
    extra_filter: dict | None = None,
) -> Decision:
    label = user_label(user)
    with acting_as(Actor.for_user(user)):
        proposal = transition(
            proposal,
            from_statuses=from_statuses,
            to=to,
            reason=f"{verdict} by {label}",
            extra_filter=extra_filter,
            status_reason=text,
        )
        decision = Decision.objects.create(
            proposal=proposal, user=user, actor_label=label, verdict=verdict, comment=text, via=via
        )
        words = VERDICT_DONE[verdict]
        remember_about(
            proposal,
            kind="decision",
            user=user,
            text=f"{label} {words} {proposal.title or proposal.action_type}: {proposal.preview}"
            + (f". Reason: {text}" if text else ""),
            data={"verdict": verdict, "status": to},
        )
    return decision


def _require_text(proposal: ProposedAction, text: str, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidArguments(f"proposal #{proposal.pk}: {what}")
    return text.strip()


@transaction.atomic
def _send_back(proposal: ProposedAction, *, user: User, comment: str, via: str) -> Decision:
    """Back to the proposing agent with a comment; `approvals.hooks.on_send_back` runs after commit."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    comment = _require_text(proposal, comment, "sending back needs a comment for the agent")
    require_open(proposal, for_approval=False)
    decision = _close(
        proposal,
        user=user,
        verdict=Verdict.SEND_BACK,
        to=Status.SENT_BACK,
        from_statuses=[Status.PENDING],
        text=comment,
        via=via,
    )
    remember_feedback(decision.proposal, user=user, comment=comment)
    transaction.on_commit(partial(hooks.on_send_back, decision.proposal, comment))
    return decision


@transaction.atomic
def _reject(proposal: ProposedAction, *, user: User, reason: str, via: str) -> Decision:
    proposal = reload(proposal)
    require_decider(proposal, user)
    reason = _require_text(proposal, reason, "rejecting needs a reason")
    require_open(proposal, for_approval=False)
    return _close(
        proposal,
        user=user,
        verdict=Verdict.REJECT,
        to=Status.REJECTED,
        from_statuses=[Status.PENDING],
        text=reason,
        via=via,
    )


@transaction.atomic
def _cancel(proposal: ProposedAction, *, user: User, reason: str, via: str) -> Decision:
    """Withdraw an approved proposal whose execution has not started (no claim, no attempt)."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    if proposal.status != Status.APPROVED or proposal.claimed_at is not None:
        raise InvalidTransition(
            f"proposal #{proposal.pk} is {proposal.status}"
            + (" and its execution has started" if proposal.claimed_at else "")
            + ": only an approved proposal whose execution has not started can be cancelled"
        )
    return _close(
        proposal,
        user=user,
        verdict=Verdict.CANCEL,
        to=Status.CANCELLED,
        from_statuses=[Status.APPROVED],
        extra_filter={"claimed_at__isnull": True},
        text=(reason or "").strip() or "cancelled before execution",
        via=via,
    )


@transaction.atomic
def _release(proposal: ProposedAction, *, user: User, reason: str, via: str) -> Decision:
    """Lift the orchestrator's hold: a director of the division (or an owner) who says why."""
    proposal = reload(proposal)
    require_decider(proposal, user)
    if not permissions.is_director(user, proposal.division_id):
        raise NotPermitted(
            f"proposal #{proposal.pk}: releasing a hold needs a director of {proposal.division.name} or an owner"
        )
    reason = _require_text(proposal, reason, "releasing a hold needs a reason")
    if not proposal.is_held:
        raise InvalidTransition(f"proposal #{proposal.pk} is not on hold")
    updated = (
        ProposedAction.objects.filter(pk=proposal.pk, status=Status.PENDING)
        .exclude(hold_reason="")
        .update(hold_reason="", updated_at=timezone.now())
    )
    if updated != 1:
        raise InvalidTransition(f"proposal #{proposal.pk} is {proposal.status}: it cannot be released")
    label = user_label(user)
    with acting_as(Actor.for_user(user)):
        history_write([proposal], reason=f"released by {label}: {reason}")
        decision = Decision.objects.create(
            proposal=proposal, user=user, actor_label=label, verdict=Verdict.RELEASE, comment=reason, via=via
        )
    decision.proposal = proposal
    return decision


_DECIDERS: dict[str, Callable[..., Decision]] = {
    Verdict.APPROVE: lambda p, *, user, comment, args, via: _approve(p, user=user, comment=comment, via=via),
    Verdict.EDIT_APPROVE: lambda p, *, user, comment, args, via: _edit_approve(
        p, user=user, args=args, comment=comment, via=via
    ),
    Verdict.SEND_BACK: lambda p, *, user, comment, args, via: _send_back(p, user=user, comment=comment, via=via),
    Verdict.REJECT: lambda p, *, user, comment, args, via: _reject(p, user=user, reason=comment, via=via),
    Verdict.CANCEL: lambda p, *, user, comment, args, via: _cancel(p, user=user, reason=comment, via=via),
    Verdict.RELEASE: lambda p, *, user, comment, args, via: _release(p, user=user, reason=comment, via=via),
}


# --- the internals, public for callers without a person's channel ---------------------------------


def proposal_approve(
    *, proposal: ProposedAction, user: User, comment: str = "", via: str = "console"
) -> ProposedAction:
    """One approval. With enough approvals for the policy the proposal becomes `approved` and its
    execution is queued after commit; a four-eyes proposal stays `pending` after the first."""
    return _approve(proposal, user=user, comment=comment, via=via).proposal


def proposal_edit_approve(
    *, proposal: ProposedAction, user: User, args: dict, comment: str = "", via: str = "console"
) -> ProposedAction:
    return _edit_approve(proposal, user=user, args=args, comment=comment, via=via).proposal


def proposal_send_back(*, proposal: ProposedAction, user: User, comment: str, via: str = "console") -> ProposedAction:
    return _send_back(proposal, user=user, comment=comment, via=via).proposal


def proposal_reject(*, proposal: ProposedAction, user: User, reason: str, via: str = "console") -> ProposedAction:
    return _reject(proposal, user=user, reason=reason, via=via).proposal


def proposal_cancel(*, proposal: ProposedAction, user: User, reason: str = "", via: str = "console") -> ProposedAction:
    return _cancel(proposal, user=user, reason=reason, via=via).proposal


def proposal_release(*, proposal: ProposedAction, user: User, reason: str, via: str = "console") -> ProposedAction:
    return _release(proposal, user=user, reason=reason, via=via).proposal
