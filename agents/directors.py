"""The division directors: each consolidates its division's proposals of a cycle (phase 2).

A director holds duplicates (same action type, same target) keeping the strongest, ranks the rest
by priority x confidence, keeps the best few and writes the division's summary to memory. One
generic `Director` per division is registered here; a division that needs its own rules
subclasses `Director` with the same key in `agents/specialists/<slug>.py`, which replaces it.
"""

from __future__ import annotations

import json
from typing import Any

from agents.models import AgentKind
from agents.runtime.base import BaseAgent
from agents.runtime.context import RunContext
from agents.runtime.registry import register
from approvals import registry as action_registry
from approvals import services as approval_services
from approvals.errors import ApprovalError, UnknownActionType
from approvals.models import ProposedAction, Status
from divisions.catalog import DIVISIONS


class Director(BaseAgent):
    """Consolidates its division's proposals of the cycle (phase 2): drops duplicates, ranks, keeps the best.

    The default `run` does the consolidation (`consolidate_division` below);
    a division with its own rules subclasses and overrides `target_of` or `run`.
    """

    kind = AgentKind.DIRECTOR
    defaults = {"keep": 5}

    def target_of(self, proposal: ProposedAction) -> str:
        """What the proposal acts on, as its action type declares it: two proposals of one type
        on one target are duplicates."""
        try:
            return ", ".join(action_registry.targets_of(proposal.action_type, proposal.args))
        except UnknownActionType:
            # A type no longer registered: only identical arguments are the duplicate.
            return json.dumps(proposal.args or {}, sort_keys=True, default=str)

    def run(self, ctx: RunContext) -> None:
        consolidate_division(director=self, ctx=ctx)


def _strength(proposal: ProposedAction) -> float:
    return float(proposal.priority or 0) * float(proposal.confidence or 0)


def consolidate_division(*, director: Director, ctx: RunContext) -> dict[str, Any]:
    """Hold duplicates (same action type, same target) keeping the strongest, rank the rest by
    priority x confidence, and write the division's summary to memory (`division:<slug>:summary`).

    A pending duplicate is held with its reason rather than cancelled: cancelling is a person's
    decision in approvals, and a held proposal stays visible for a person to release or reject.
    """
    pending = ProposedAction.objects.filter(division__slug=director.division, status=Status.PENDING, hold_reason="")
    if ctx.cycle is not None:
        pending = pending.filter(agent_run__cycle=ctx.cycle)
    proposals = list(pending.select_related("agent_run"))
    proposals.sort(key=lambda p: (-_strength(p), p.pk))

    best: dict[tuple[str, str], ProposedAction] = {}
    dropped: list[dict[str, Any]] = []
    for proposal in proposals:
        target = (proposal.action_type, director.target_of(proposal))
        if target not in best:
            best[target] = proposal
            continue
        top = best[target]
        reason = f"Duplicate of #{top.pk} ({proposal.action_type} on {target[1]}); the director kept the stronger one."
        if _hold(proposal, reason, ctx):
            dropped.append({"id": proposal.pk, "duplicate_of": top.pk})

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


def _brief(proposal: ProposedAction) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "action": proposal.action_type,
        "title": proposal.title,
        "priority": proposal.priority,
        "confidence": proposal.confidence,
        "money_at_stake": str(proposal.money_at_stake),
        "agent": proposal.agent_key,
    }


def _hold(proposal: ProposedAction, reason: str, ctx: RunContext) -> bool:
    """Park the duplicate through the approvals service, so the change is checked and audited."""
    try:
        approval_services.proposal_hold(proposal=proposal, reason=reason)
    except ApprovalError as exc:
        ctx.warn(f"could not hold duplicate #{proposal.pk}: {exc}")
        return False
    return True


def _director(slug: str, title: str) -> type[Director]:
    cls = type(
        f"{title}Director",
        (Director,),
        {
            "__module__": __name__,
            "key": f"{slug}.director",
            "division": slug,
            "name": f"{title} director",
            "description": (
                f"Consolidates the {title} division's proposals: drops duplicates, ranks, keeps the best few."
            ),
        },
    )
    return register(cls)


DIRECTORS: dict[str, type[Director]] = {slug: _director(slug, title) for slug, title, _mandate in DIVISIONS}
