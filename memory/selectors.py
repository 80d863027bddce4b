"""Reads of the shared memory: the current value of a key, its past, recall, and prompt context.

Every read that returns entries marks whether the key is in an open conflict (`in_conflict`), so
that no reader can take a disputed fact for settled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from divisions.models import Division
from divisions.permissions import is_owner, visible_divisions

from . import search
from .errors import InvalidMemory
from .models import Conflict, Kind, MemoryEntry

if TYPE_CHECKING:
    from divisions.permissions import Someone

# Recall ranks relevance x recency; an entry loses half its recency weight every this many days.
RECALL_RECENCY_HALF_LIFE_DAYS = 30.0
# How many of the newest matches the database scores per recall (see memory/search.py).
RECALL_WINDOW_MIN = 200
RECALL_WINDOW_PER_RESULT = 20
RECALL_MAX_LIMIT = 100

# Prompt budgets are in tokens; a token is about four characters of English text, which is the
# usual rule of thumb for GPT-style tokenisers and errs on the safe side for numbers and keys.
CHARS_PER_TOKEN = 4


# --- querysets ----------------------------------------------------------------------------------


def entries() -> QuerySet[MemoryEntry]:
    """All entries, with their division, annotated with `in_conflict`."""
    open_conflict = Conflict.objects.filter(key=OuterRef("key"), is_open=True)
    # Authors are shown by author_label; joining runs and users would only slow recall down.
    return MemoryEntry.objects.select_related("division").annotate(in_conflict=Exists(open_conflict))


def entries_visible_to(user: Someone) -> QuerySet[MemoryEntry]:
    """Division scoping: owners see everything, staff their divisions' entries and the brand-wide ones."""
    if is_owner(user):
        return entries()
    return entries().filter(Q(division__isnull=True) | Q(division__in=visible_divisions(user)))


def key_history(key: str) -> QuerySet[MemoryEntry]:
    """Every entry ever written for a key, newest first, each with its author."""
    return entries().filter(key=key).order_by("-created_at", "-id")


def conflicts_open() -> QuerySet[Conflict]:
    return Conflict.objects.filter(is_open=True).select_related(
        "earlier", "later", "earlier__division", "later__division"
    )


def conflicts_visible_to(user: Someone) -> QuerySet[Conflict]:
    qs = Conflict.objects.select_related("earlier", "later", "later__division", "resolved_by")
    if is_owner(user):
        return qs
    divisions = visible_divisions(user)
    return qs.filter(Q(later__division__isnull=True) | Q(later__division__in=divisions))


# --- the contract -------------------------------------------------------------------------------


def current(key: str) -> MemoryEntry | None:
    """The key's current entry (with `in_conflict`), or None if nothing was ever written for it."""
    return entries().filter(key=key, is_current=True).first()


def as_of(key: str, when: datetime) -> MemoryEntry | None:
    """The entry that was current for the key at `when`: valid then, and not yet superseded then.

    A successor takes over from its own valid_from; an entry past its valid_until was no longer
    true, so a key whose last value had expired at `when` had no value.
    """
    return (
        entries()
        .filter(key=key, valid_from__lte=when)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=when))
        .filter(Q(superseded_by__isnull=True) | Q(superseded_by__valid_from__gt=when))
        .order_by("-valid_from", "-id")
        .first()
    )


def open_conflict_keys(keys: Iterable[str]) -> set[str]:
    """Which of these keys have an open conflict (approvals flags proposals resting on them)."""
    wanted = {key for key in keys if key}
    if not wanted:
        return set()
    return set(Conflict.objects.filter(key__in=wanted, is_open=True).values_list("key", flat=True).distinct())


def _division_id(division: Division | str | int | None) -> int | None:
    if division is None or division == "":
        return None
    if isinstance(division, Division):
        return division.pk
    if isinstance(division, int):
        return division
    found = Division.objects.filter(slug=division).values_list("pk", flat=True).first()
    if found is None:
        # An unknown division has no entries; say so rather than silently searching everything.
        raise InvalidMemory("division", division, "no such division")
    return found


def recall(
    query: str,
    *,
    division: Division | str | int | None = None,
    kinds: Sequence[str] | str | None = None,
    limit: int = 10,
) -> list[MemoryEntry]:
    """Entries relevant to `query`, ranked by text relevance and recency; superseded values left out.

    Cost is flat: one search query over at most a window of the newest matches, one query to load
    the winners. Score = relevance (normalised to the best candidate) x 0.5^(age / half-life).
    """
    if isinstance(kinds, str):
        kinds = [kinds]
    if kinds:
        unknown = [kind for kind in kinds if kind not in Kind.values]
        if unknown:
            raise InvalidMemory("kinds", unknown, f"expected some of {', '.join(Kind.values)}")
    limit = max(1, min(int(limit), RECALL_MAX_LIMIT))
    window = max(RECALL_WINDOW_MIN, limit * RECALL_WINDOW_PER_RESULT)
    found = search.candidates(query or "", division_id=_division_id(division), kinds=kinds, window=window)
    if not found:
        return []
    best = max(candidate.relevance for candidate in found) or 1.0
    now = timezone.now()

    def score(candidate: search.Candidate) -> float:
        age_days = max(0.0, (now - candidate.valid_from).total_seconds() / 86400)
        return (candidate.relevance / best) * math.pow(0.5, age_days / RECALL_RECENCY_HALF_LIFE_DAYS)

    ranked = sorted(found, key=lambda c: (score(c), c.id), reverse=True)[:limit]
    by_id = entries().in_bulk([candidate.id for candidate in ranked])
    return [by_id[candidate.id] for candidate in ranked if candidate.id in by_id]


# --- context for a prompt -----------------------------------------------------------------------


def _line(entry: MemoryEntry) -> str:
    parts = [f"[{entry.kind}]"]
    if entry.key:
        parts.append(f"{entry.key}:")
    elif entry.subject:
        parts.append(f"{entry.subject}:")
    parts.append(" ".join(entry.text.split()))
    if entry.has_value:
        parts.append(f"(value={entry.value!r})")
    details = [f"by {entry.author_label}", entry.valid_from.date().isoformat()]
    if entry.confidence < 1:
        details.append(f"confidence {entry.confidence:.2f}")
    if entry.division_id is not None and entry.division is not None:
        details.append(entry.division.slug)
    parts.append(f"({', '.join(details)})")
    if getattr(entry, "in_conflict", False):
        parts.append("[IN CONFLICT: another author disagrees; do not rely on it without saying so]")
    return "- " + " ".join(parts)


@dataclass(frozen=True)
class ContextPack:
    """The memory an LLM call sees (`text`), how many entries it holds, and how many that applied
    were left out for the budget (counted, so a prompt can say that more exists)."""

    text: str
    included: int
    cut: int


def context_for(agent: Any, topic: str, budget_tokens: int) -> str:
    """The memory an LLM call sees, within `budget_tokens`: `context_pack`'s text."""
    return context_pack(agent, topic, budget_tokens).text


def context_pack(agent: Any, topic: str, budget_tokens: int) -> ContextPack:
    """The memory an LLM call sees, within `budget_tokens` (estimated as characters / 4).

    Order, each section stopping at the budget:
    1. rules from people (current preferences written by users) for the agent's division and the
       whole brand: they come first because agents must respect them;
    2. current keyed facts of the agent's division (and brand-wide ones), newest and most confident
       first, conflicts marked;
    3. entries recalled for the topic from the whole shared memory.
    Each section reads at most as many rows as could fit in the budget, so the size (and the cost)
    of the context is the same whether memory holds a thousand entries or a million.
    `agent` is an agents.models.Agent or anything with a `.division` (None: the whole brand).
    """
    budget_chars = max(0, int(budget_tokens)) * CHARS_PER_TOKEN
    if budget_chars == 0:
        return ContextPack("", 0, 0)
    division = getattr(agent, "division", None)
    division_id = division.pk if isinstance(division, Division) else getattr(agent, "division_id", None)
    # No line is shorter than ~40 characters, so this many rows always suffice to fill the budget.
    row_cap = max(5, min(500, budget_chars // 40))
    now = timezone.now()
    live = entries().filter(is_current=True).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    # The orchestrator (no division) sees the whole brand; a specialist its division and brand-wide rows.
    scope = Q() if division_id is None else Q(division__isnull=True) | Q(division_id=division_id)

    sections: list[tuple[str, list[MemoryEntry]]] = []
    rules_qs = live.filter(scope, kind=Kind.PREFERENCE, author_user__isnull=False)
    rules = list(rules_qs.order_by("-valid_from", "-id")[:row_cap])
    sections.append(("Rules from people (always respect these)", rules))
    facts_qs = live.filter(scope, key__isnull=False).exclude(kind=Kind.PREFERENCE, author_user__isnull=False)
    facts = list(facts_qs.order_by("-valid_from", "-confidence", "-id")[:row_cap])
    sections.append(("Current facts", facts))
    recalled = recall(topic, limit=min(RECALL_MAX_LIMIT, row_cap)) if topic else []
    sections.append((f"Recalled for {topic!r}" if topic else "Recalled", recalled))
    # What applied: every rule and current fact in scope (counted, not loaded), and what was recalled.
    applying = rules_qs.count() + facts_qs.count() + len(recalled)

    out: list[str] = []
    used = 0
    seen: set[int] = set()
    for title, rows in sections:
        header = f"## {title}"
        header_added = False
        for entry in rows:
            if entry.pk in seen:
                continue
            line = _line(entry)
            cost = len(line) + 1 + (0 if header_added else len(header) + 1)
            if used + cost > budget_chars:
                break
            if not header_added:
                out.append(header)
                header_added = True
            out.append(line)
            used += cost
            seen.add(entry.pk)
    return ContextPack("\n".join(out), len(seen), max(0, applying - len(seen)))


# --- what people said and what came of it -------------------------------------------------------


def feedback_key(agent_key: str, action_type: str, proposal_id: int) -> str:
    """The key of a send-back comment: one per sent-back proposal, so that two people's comments
    on one agent's work are two facts, not a conflict over one."""
    return f"feedback:{agent_key}:{action_type}:{proposal_id}"


def feedback_for(agent_key: str, action_type: str, *, limit: int = 5) -> list[MemoryEntry]:
    """The current send-back comments on an agent's proposals of one type, newest first."""
    prefix = f"feedback:{agent_key}:{action_type}:"
    return list(
        entries().filter(key__startswith=prefix, is_current=True).order_by("-valid_from", "-id")[: max(0, limit)]
    )


def outcome_key(proposal_id: int) -> str:
    """The key of an executed proposal's outcome entry (one current verdict per proposal)."""
    return f"outcome:proposal:{proposal_id}"


def outcomes(*, action_type: str | None = None, verdict: str | None = None) -> QuerySet[MemoryEntry]:
    """The current outcome entries, newest first (optionally of one action type or one verdict)."""
    qs = entries().filter(kind=Kind.OUTCOME, key__startswith="outcome:proposal:", is_current=True)
    if action_type:
        qs = qs.filter(data__action_type=action_type)
    if verdict:
        qs = qs.filter(data__verdict=verdict)
    return qs.order_by("-valid_from", "-id")
