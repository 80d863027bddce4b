"""Writes to the shared memory: people's preferences and conflict resolution.

Agents' writes (`remember`, `remember_many`) live in `memory.writes` and reads in
`memory.selectors`; the functions of the contract are re-exported here so that
`from memory.services import remember, current` works.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from atlas_project.audit import Actor, acting_as, history_write
from divisions.models import Division
from divisions.permissions import is_director, is_owner

from .errors import ConflictAlreadyResolved, InvalidMemory, NotPermitted
from .models import Conflict, Kind, MemoryEntry
from .selectors import as_of, context_for, current, open_conflict_keys, recall
from .writes import KEY_RE, _resolve_division, remember, remember_many

if TYPE_CHECKING:
    from django.contrib.auth.models import User


__all__ = [
    "KEY_RE",
    "as_of",
    "conflict_resolve",
    "context_for",
    "current",
    "memory_add_by_person",
    "memory_promote",
    "open_conflict_keys",
    "recall",
    "remember",
    "remember_many",
]

# --- people -------------------------------------------------------------------------------------


@transaction.atomic
def memory_add_by_person(
    *,
    user: User,
    text: str,
    kind: str = Kind.PREFERENCE,
    key: str | None = None,
    subject: str = "",
    data: dict | None = None,
    division: Division | str | None = None,
    confidence: float = 1.0,
    valid_until: datetime | None = None,
    evidence: list[dict] | None = None,
) -> MemoryEntry:
    """A person adds a preference or a fact ("no discounts above 20% this quarter").

    Agents must respect preferences, so only those who direct a division may set them for it:
    its directors and the owners. A preference for no division (the whole brand) is the owners'.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotPermitted(f"user={user!r}: only an active user may add to memory")
    division_row = _resolve_division(division)
    if division_row is None:
        if not is_owner(user):
            raise NotPermitted(
                f"user={user.get_username()!r}: only owners may add memory for the whole brand; "
                "name a division you direct"
            )
    elif not is_director(user, division_row):
        raise NotPermitted(
            f"user={user.get_username()!r} may not add a {kind} for division {division_row.slug!r}: "
            "only its directors and the owners may"
        )
    return remember(
        text=text,
        kind=kind,
        key=key,
        subject=subject,
        data=data,
        division=division_row,
        author_user=user,
        confidence=confidence,
        valid_until=valid_until,
        evidence=evidence,
    )


@transaction.atomic
def memory_promote(
    *,
    entry: MemoryEntry,
    user: User,
    key: str | None = None,
    value: Any = None,
    text: str = "",
    division: Division | str | None = None,
    brand_wide: bool = False,
) -> MemoryEntry:
    """ "Remember this": a comment on record (a send-back, a rejection's reason) becomes a standing
    preference agents respect, citing the entry it came from. Scoped to the entry's division unless
    another division, or the whole brand, is named; the same rights as `memory_add_by_person`."""
    if entry.pk is None:
        raise InvalidMemory("entry", entry, "not saved")
    said = entry.value
    if value is None:
        value = said
    scope = None if brand_wide else (division if division is not None else entry.division)
    return memory_add_by_person(
        user=user,
        text=(text or str(said)).strip(),
        kind=Kind.PREFERENCE,
        key=key,
        subject=entry.subject,
        data={"value": value, "from_entry": entry.pk},
        division=scope,
        evidence=[{"memory": entry.pk}],
    )


# --- conflicts ----------------------------------------------------------------------------------


def _can_resolve(user: User, conflict: Conflict) -> bool:
    division_id = conflict.later.division_id or conflict.earlier.division_id
    if division_id is None:
        return is_owner(user)
    return is_director(user, division_id) or is_owner(user)


@transaction.atomic
def conflict_resolve(*, conflict: Conflict, user: User, note: str) -> Conflict:
    """Close a conflict with a note saying which value holds and why.

    The later entry stays current; if the earlier value was right, the resolver writes it again
    (a person's write supersedes both) — resolving records the judgement, it does not rewrite.
    """
    if not isinstance(note, str) or not note.strip():
        raise InvalidMemory("note", note, "say how the conflict was resolved")
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotPermitted("only a signed-in user may resolve a conflict")
    if not _can_resolve(user, conflict):
        raise NotPermitted(
            f"user={user.get_username()!r} may not resolve the conflict on {conflict.key!r}: "
            "only the division's directors and the owners may"
        )
    now = timezone.now()
    changed = Conflict.objects.filter(pk=conflict.pk, is_open=True).update(
        is_open=False, resolution_note=note.strip(), resolved_by=user, resolved_at=now
    )
    if not changed:
        raise ConflictAlreadyResolved(f"conflict {conflict.pk} on {conflict.key!r} is already resolved")
    # The resolver is the actor of the resolution, whatever context called the service.
    with acting_as(Actor.for_user(user)):
        history_write([conflict], reason="resolved")
    return conflict


def conflicts_resolve(*, conflicts: Iterable[Conflict], user: User, note: str) -> tuple[int, int]:
    """Resolve several (the admin action): returns (resolved, skipped) counts; each is its own transaction."""
    resolved = skipped = 0
    for conflict in conflicts:
        try:
            conflict_resolve(conflict=conflict, user=user, note=note)
        except (NotPermitted, ConflictAlreadyResolved):
            skipped += 1
        else:
            resolved += 1
    return resolved, skipped
