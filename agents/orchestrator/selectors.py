"""Reading the briefings: the one for a cycle or a day, as JSON for `atlas_brief`, `atlas_run --json`
and the digests, with the proposals the orchestrator holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from agents.models import Briefing, BriefingItem, Cycle, ItemKind
from approvals.models import ProposedAction, Status


def _item_json(item: BriefingItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "title": item.title,
        "text": item.text,
        "division": item.division.slug if item.division is not None else None,
        "numbers": item.numbers,
        "ranking": item.ranking,
        "proposals": sorted(p.pk for p in item.proposals.all()),
    }


def briefing_for(cycle_or_briefing: Cycle | Briefing | dt.date | None) -> Briefing | None:
    if isinstance(cycle_or_briefing, Briefing):
        return cycle_or_briefing
    qs = Briefing.objects.prefetch_related("items__proposals", "items__division")
    if isinstance(cycle_or_briefing, Cycle):
        return qs.filter(Q(cycle=cycle_or_briefing)).first() or (
            qs.filter(brand_date=cycle_or_briefing.brand_date).first() if not cycle_or_briefing.scope else None
        )
    if isinstance(cycle_or_briefing, dt.date):
        return qs.filter(brand_date=cycle_or_briefing).first()
    return qs.first()


def briefing_json(cycle_or_briefing: Cycle | Briefing | dt.date | None) -> dict[str, Any] | None:
    """`{"date", "narrative", "win", "risk", "opportunity", "ranked"}`; None when there is no briefing."""
    briefing = briefing_for(cycle_or_briefing)
    if briefing is None:
        return None
    items = list(briefing.items.all())
    out: dict[str, Any] = {
        "date": briefing.brand_date.isoformat(),
        "persona": briefing.persona,
        "narrative": briefing.narrative,
        "drafted_by": briefing.drafted_by or "offline",
        "updated_at": timezone.localtime(briefing.updated_at).isoformat(),
    }
    for kind in ("win", "risk", "opportunity"):
        item = next((i for i in items if i.kind == kind), None)
        out[kind] = _item_json(item) if item else None
    out["ranked"] = [_item_json(i) | {"rank": i.rank} for i in items if i.kind == ItemKind.RANKED]
    out["held"] = held_json()
    return out


def held_json() -> list[dict[str, Any]]:
    """Proposals the orchestrator holds, with the reason and the work bundled with each."""
    held = (
        ProposedAction.objects.filter(status=Status.PENDING)
        .exclude(hold_reason="")
        .prefetch_related("bundled_with")
        .order_by("pk")
    )
    return [
        {
            "proposal": p.pk,
            "title": p.title,
            "reason": p.hold_reason,
            "bundled_with": [b.pk for b in p.bundled_with.all()],
        }
        for p in held
    ]
