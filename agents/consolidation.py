"""The directors' consolidation: one division's proposals of one cycle, deduplicated and ranked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.base import Director, RunContext


def _strength(proposal: Any) -> float:
    return float(proposal.priority or 0) * float(proposal.confidence or 0)


def consolidate_division(*, director: Director, ctx: RunContext) -> dict[str, Any]:
    """Hold duplicates (same action type, same target) keeping the strongest, rank the rest by
    priority x confidence, and write the division's summary to memory (`division:<slug>:summary`).

    A pending duplicate is held with its reason rather than cancelled: cancelling is a person's
    decision in approvals, and a held proposal stays visible for a person to release or reject.
    """
    from approvals.models import ProposedAction, Status

    proposals = ProposedAction.objects.filter(division__slug=director.division, status=Status.PENDING, hold_reason="")
    if ctx.cycle is not None:
        proposals = proposals.filter(agent_run__cycle=ctx.cycle)
    proposals = list(proposals.select_related("agent_run"))
    proposals.sort(key=lambda p: (-_strength(p), p.pk))

    best: dict[tuple[str, str], Any] = {}
    dropped: list[dict[str, Any]] = []
    for proposal in proposals:
        target = (proposal.action_type, director.target_of(proposal))
        if target not in best:
            best[target] = proposal
            continue
        kept = best[target]
        reason = f"Duplicate of #{kept.pk} ({proposal.action_type} on {target[1]}); the director kept the stronger one."
        if _hold(proposal, reason, ctx):
            dropped.append({"id": proposal.pk, "duplicate_of": kept.pk})

    ranked = sorted(best.values(), key=lambda p: (-_strength(p), p.pk))
    keep = int(ctx.config.get("keep", 5))
    kept, rest = ranked[:keep], ranked[keep:]
    summary = {
        "value": [p.pk for p in kept],
        "kept": [_brief(p) for p in kept],
        "ranked_out": [p.pk for p in rest],
        "dropped": dropped,
        "cycle": ctx.cycle.pk if ctx.cycle else None,
    }
    if kept:
        lines = "; ".join(f"#{p.pk} {p.title or p.action_type}" for p in kept)
        text = f"{director.name}: {len(kept)} proposal(s) kept of {len(proposals)} — {lines}."
    else:
        text = f"{director.name}: no pending proposals this cycle."
    if dropped:
        text += f" {len(dropped)} duplicate(s) held."
    ctx.remember(
        kind="insight",
        key=f"division:{director.division}:summary",
        subject=f"{director.division} division summary",
        text=text,
        data=summary,
        evidence=[{"model": "approvals.proposedaction", "pk": p.pk, "version": None} for p in kept],
    )
    return summary


def _brief(proposal: Any) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "action": proposal.action_type,
        "title": proposal.title,
        "priority": proposal.priority,
        "confidence": proposal.confidence,
        "money_at_stake": str(proposal.money_at_stake),
        "agent": proposal.agent_key,
    }


def _hold(proposal: Any, reason: str, ctx: RunContext) -> bool:
    """Park the duplicate through the approvals service, so the change is checked and audited."""
    from approvals import services as approval_services
    from approvals.errors import ApprovalError

    try:
        approval_services.proposal_hold(proposal=proposal, reason=reason)
    except ApprovalError as exc:
        ctx.warn(f"could not hold duplicate #{proposal.pk}: {exc}")
        return False
    return True
