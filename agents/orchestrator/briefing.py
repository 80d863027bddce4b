"""The morning briefing: the headlines (`agents.orchestrator.headlines`) put in plain words by the
LLM (or the offline template) and stored as the day's Briefing with its items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from pydantic import BaseModel, Field

from agents.models import Briefing, BriefingItem, Cycle, ItemKind
from agents.orchestrator.headlines import MAX_RANKED, Headline, headlines
from agents.orchestrator.ranking import Ranked
from agents.outcomes.selectors import Lesson, recent_lessons
from approvals.models import ProposedAction

if TYPE_CHECKING:
    from agents.runtime.context import RunContext


class BriefingText(BaseModel):
    narrative: str = Field(description="Three to five plain sentences: the risk, the win, the opportunity, the rest.")


def offline_narrative(
    persona: str, today: dt.date, heads: dict[str, Headline], rest: int, held: int, lessons: Sequence[Lesson] = ()
) -> str:
    risk, win, opp = heads["risk"], heads["win"], heads["opportunity"]
    lines = [f"Good morning, {persona} here with the briefing for {today:%A %d %B}."]
    lines.append(f"The risk first: {risk.title}. {risk.text} {risk.why}".rstrip())
    lines.append(f"The win: {win.title}. {win.text} {win.why}".rstrip())
    lines.append(f"The opportunity: {opp.title}. {opp.text} {opp.why}".rstrip())
    tail = f"{rest} more proposal(s) wait below, ranked by expected impact."
    if held:
        tail += f" I held {held} proposal(s) that conflict with other work; each says why."
    lines.append(tail)
    if lessons:
        # What came of earlier work, so that today's calls are read against it.
        cited = [f"{lesson.text}" + (f" ({lesson.record}.)" if lesson.record else "") for lesson in lessons]
        lines.append("What came of earlier work: " + " ".join(cited))
    return " ".join(lines)


def briefing_facts(
    heads: dict[str, Headline], rest: list[Ranked], held: int, lessons: Sequence[Lesson] = ()
) -> dict[str, Any]:
    return {
        kind: {
            "title": h.title,
            "text": h.text,
            "numbers": h.numbers,
            "proposals": [p.pk for p in h.proposals],
            "why_chosen": h.why,
            "runner_up": h.runner_up,
        }
        for kind, h in heads.items()
    } | {
        "ranked": [{"title": r.proposal.title, **r.inputs()} for r in rest[:10]],
        "held_today": held,
        "outcomes_of_earlier_work": [lesson.as_dict() for lesson in lessons],
    }


@transaction.atomic
def briefing_write(
    *,
    today: dt.date,
    cycle: Cycle | None,
    persona: str,
    heads: dict[str, Headline],
    rest: list[Ranked],
    narrative: str,
    drafted_by: str,
) -> Briefing:
    """One briefing per brand day: a re-run replaces its items and narrative."""
    briefing, _ = Briefing.objects.update_or_create(
        brand_date=today,
        defaults={"cycle": cycle, "persona": persona, "narrative": narrative, "drafted_by": drafted_by},
    )
    briefing.items.all().delete()
    from divisions.models import Division

    divisions = {d.slug: d for d in Division.objects.all()}
    items: list[tuple[BriefingItem, list[ProposedAction]]] = []
    for kind in ("win", "risk", "opportunity"):
        head = heads[kind]
        item = BriefingItem(
            briefing=briefing,
            kind=head.kind,
            rank=0,
            division=divisions.get(head.division or ""),
            title=head.title[:200],
            text=head.text,
            numbers=head.numbers,
            ranking=head.ranking(),
        )
        items.append((item, list(head.proposals)))
    for position, ranked in enumerate(rest[:MAX_RANKED], start=1):
        p = ranked.proposal
        item = BriefingItem(
            briefing=briefing,
            kind=ItemKind.RANKED,
            rank=position,
            division=p.division,
            title=(p.title or p.action_type)[:200],
            text=(p.preview or p.rationale or "")[:2000] + (f" (Held: {p.hold_reason})" if p.hold_reason else ""),
            numbers={"proposal": p.pk, "action_type": p.action_type, "status": p.status},
            ranking=ranked.inputs(),
        )
        items.append((item, [p]))
    # Two inserts for the whole briefing (items, then their proposal links), not two per item.
    BriefingItem.objects.bulk_create([item for item, _ in items])
    links = BriefingItem.proposals.through
    links.objects.bulk_create(
        [links(briefingitem_id=item.pk, proposedaction_id=p.pk) for item, proposals in items for p in proposals]
    )
    return briefing


def briefing_build(*, ctx: RunContext, held: int = 0) -> Briefing:
    """Write the day's briefing from the run's context (the narrative through `ctx.draft`)."""
    from brand.selectors import brand_profile

    persona = brand_profile().orchestrator_name or "Alexia"
    heads, rest = headlines(ctx.today, ctx.now, ctx.config)
    lessons = recent_lessons(today=ctx.today)
    facts = briefing_facts(heads, rest, held, lessons)
    # The morning must not go dark with the LLM: a failed call gives the offline narrative, labelled so.
    drafted = ctx.draft(
        BriefingText,
        task=f"Write {persona}'s morning briefing for the team: plain language, the numbers as given, the risk "
        "first, then the win, then the opportunity, each with why it was chosen and the runner-up it beat "
        "(why_chosen, runner_up), then one sentence on the rest, then what came of earlier work "
        "(outcomes_of_earlier_work, with the agents' records) where there is any.",
        facts=facts,
        offline=lambda: BriefingText(narrative=offline_narrative(persona, ctx.today, heads, len(rest), held, lessons)),
        purpose="morning briefing",
    )
    return briefing_write(
        today=ctx.today,
        cycle=ctx.cycle,
        persona=persona,
        heads=heads,
        rest=rest,
        narrative=drafted.value.narrative,
        drafted_by=drafted.drafted_by,
    )
