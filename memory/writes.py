"""Writing to the shared memory: `remember` one entry, `remember_many` a run's facts in one go.

One current entry per key is an invariant of the database (the partial unique constraint
`memory_one_current_per_key`); the code here only has to be correct about *which* entry wins
when two writers race, and never leave a key with none or two current entries.

Both paths apply the same rules to a keyed write (see `remember`); `remember_many` applies them
to a whole batch with a handful of queries instead of five per entry, which is what a specialist
publishing a metric per SKU needs (one transaction, one write lock on SQLite, instead of hundreds).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F
from django.utils import timezone

from atlas_project.audit import history_write
from divisions.models import Division

from .errors import InvalidMemory
from .models import Conflict, Kind, MemoryEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from agents.models import AgentRun

# entity:attribute, e.g. sku:HP-104:days_of_cover or campaign:12:roas_7d. The entity type is
# lower case so that `sku:` and `SKU:` cannot become two keys for one fact.
KEY_RE = re.compile(r"\A[a-z][a-z0-9_]*(?::[A-Za-z0-9_.\-]+)+\Z")


def _max_length(field_name: str) -> int:
    field = MemoryEntry._meta.get_field(field_name)
    if not isinstance(field, CharField) or field.max_length is None:
        raise TypeError(f"MemoryEntry.{field_name} is not a text field with a max_length")
    return field.max_length


KEY_MAX_LENGTH = _max_length("key")
SUBJECT_MAX_LENGTH = _max_length("subject")
# A race on one key is lost at most once per concurrent writer; a handful of retries is plenty,
# and a bound keeps a pathological loop from spinning forever.
MAX_WRITE_ATTEMPTS = 8
# On PostgreSQL, writers of one key queue on a transaction-scoped advisory lock, so that a busy
# key does not turn into a retry storm; the constraint and the retries below stay the guarantee
# (and are what SQLite relies on, where IMMEDIATE transactions serialise writers anyway).
SERIALISE_KEY_WRITES = True
_ADVISORY_LOCK_CLASS = 0x4D454D  # "MEM": keeps our lock ids apart from other advisory locks


class _LostRace(Exception):
    """Another writer superseded the entry we read; read the key again."""


# --- validation ---------------------------------------------------------------------------------


def _validate_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key:
        raise InvalidMemory("key", key, "expected entity:attribute, e.g. sku:HP-104:days_of_cover")
    if len(key) > KEY_MAX_LENGTH:
        raise InvalidMemory("key", key, f"longer than {KEY_MAX_LENGTH} characters")
    if not KEY_RE.match(key):
        raise InvalidMemory(
            "key",
            key,
            "expected entity:attribute with a lower-case entity type and segments of letters, digits, "
            "'_', '.', '-' separated by ':', e.g. sku:HP-104:days_of_cover",
        )
    return key


def _validate_json(field: str, value: Any, expected: type) -> Any:
    if not isinstance(value, expected):
        raise InvalidMemory(field, value, f"expected a JSON {'object' if expected is dict else 'array'}")
    try:
        # Round-trip so that what is stored is exactly what a reader gets back (no tuples, no NaN).
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidMemory(field, value, f"not JSON-serialisable: {exc}") from exc


def _validate_evidence(evidence: list[dict] | None) -> list[dict]:
    if evidence is None:
        return []
    evidence = _validate_json("evidence", evidence, list)
    for position, item in enumerate(evidence):
        ok = isinstance(item, dict) and (
            ("memory" in item and isinstance(item["memory"], int))
            or ("model" in item and isinstance(item["model"], str) and "." in item["model"] and "pk" in item)
        )
        if not ok:
            raise InvalidMemory(
                f"evidence[{position}]",
                item,
                'expected {"model": "app.model", "pk": ..., "version": ...} or {"memory": <entry id>}',
            )
    return evidence


def _resolve_division(division: Division | str | None) -> Division | None:
    if division is None or division == "":
        return None
    if isinstance(division, Division):
        if division.pk is None:
            raise InvalidMemory("division", division, "not saved")
        return division
    if isinstance(division, str):
        found = Division.objects.filter(slug=division).first()
        if found is None:
            known = ", ".join(Division.objects.values_list("slug", flat=True))
            raise InvalidMemory("division", division, f"no such division (known: {known})")
        return found
    raise InvalidMemory("division", division, "expected a Division or its slug")


def _validate_confidence(confidence: Any) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise InvalidMemory("confidence", confidence, "expected a number between 0 and 1")
    if math.isnan(confidence) or not 0 <= confidence <= 1:
        raise InvalidMemory("confidence", confidence, "expected a number between 0 and 1")
    return float(confidence)


def _validate_time(field: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidMemory(field, value, "expected a datetime")
    if timezone.is_naive(value):
        raise InvalidMemory(field, value, "expected an aware datetime (with a time zone)")
    return value


def _author_label(author_run: AgentRun | None, author_user: User | None) -> str:
    if (author_run is None) == (author_user is None):
        raise InvalidMemory(
            "author", (author_run, author_user), "give exactly one of author_run (an agent run) or author_user"
        )
    if author_run is not None:
        if getattr(author_run, "pk", None) is None:
            raise InvalidMemory("author_run", author_run, "not a saved agent run")
        return author_run.agent.key
    if author_user is None or getattr(author_user, "pk", None) is None:
        raise InvalidMemory("author_user", author_user, "not a saved user")
    return author_user.get_username()


def _author_identity(entry: MemoryEntry) -> tuple[str, Any]:
    """Who wrote an entry, for conflict purposes: the agent (not the run) or the user.

    Two runs of one agent on different days are one author updating its own fact, not a
    disagreement; the label is the fallback once the run or user row is gone.
    """
    if entry.author_run_id is not None:
        # A read of the key's current entry annotates its run's agent (no join of the whole run).
        agent_id = getattr(entry, "author_agent_id", None)
        if agent_id is None and entry.author_run is not None:
            agent_id = entry.author_run.agent_id
        return ("agent", agent_id)
    if entry.author_user_id is not None:
        return ("user", entry.author_user_id)
    return ("label", entry.author_label)


# --- remember ------------------------------------------------------------------------------------


def _prepare(
    *,
    text: str,
    kind: str = Kind.OBSERVATION,
    key: str | None = None,
    subject: str = "",
    data: dict | None = None,
    division: Division | str | None = None,
    author_run: AgentRun | None = None,
    author_user: User | None = None,
    confidence: float = 1.0,
    evidence: list[dict] | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> MemoryEntry:
    """The validated, unsaved entry; `InvalidMemory` names the first field that is wrong."""
    if kind not in Kind.values:
        raise InvalidMemory("kind", kind, f"expected one of {', '.join(Kind.values)}")
    if not isinstance(text, str) or not text.strip():
        raise InvalidMemory("text", text, "must not be empty")
    if not isinstance(subject, str) or len(subject) > SUBJECT_MAX_LENGTH:
        raise InvalidMemory("subject", subject, f"expected text of at most {SUBJECT_MAX_LENGTH} characters")
    key = _validate_key(key)
    data = {} if data is None else _validate_json("data", data, dict)
    evidence = _validate_evidence(evidence)
    confidence = _validate_confidence(confidence)
    valid_from = _validate_time("valid_from", valid_from) or timezone.now()
    valid_until = _validate_time("valid_until", valid_until)
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidMemory("valid_until", valid_until, f"must be after valid_from ({valid_from.isoformat()})")
    division_row = _resolve_division(division)
    label = _author_label(author_run, author_user)
    return MemoryEntry(
        kind=kind,
        key=key,
        subject=subject,
        text=text.strip(),
        data=data,
        division=division_row,
        author_run=author_run,
        author_user=author_user,
        author_label=label,
        confidence=confidence,
        evidence=evidence,
        valid_from=valid_from,
        valid_until=valid_until,
        is_current=True,
    )


@transaction.atomic
def remember(
    *,
    text: str,
    kind: str = Kind.OBSERVATION,
    key: str | None = None,
    subject: str = "",
    data: dict | None = None,
    division: Division | str | None = None,
    author_run: AgentRun | None = None,
    author_user: User | None = None,
    confidence: float = 1.0,
    evidence: list[dict] | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> MemoryEntry:
    """Write one entry. A keyed entry supersedes the key's current entry in the same transaction.

    Rules for a keyed write, against the key's current entry:
    - the same author saying exactly the same thing again (value, text, confidence, evidence,
      validity) while the entry is still valid is a refresh: the current entry is returned and
      nothing is written, so daily re-observations do not bury a key's history in copies;
    - anything else becomes the new current entry, and the old one is kept, superseded;
    - a different author with a different value while the old entry is still valid also opens a
      Conflict, so that nobody's fact is overwritten silently.
    """
    entry = _prepare(
        text=text,
        kind=kind,
        key=key,
        subject=subject,
        data=data,
        division=division,
        author_run=author_run,
        author_user=author_user,
        confidence=confidence,
        evidence=evidence,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if entry.key is None:
        entry.save()
        return entry
    return _with_retries(_lock_keys, [entry.key], lambda: _write_keyed(entry), [entry])


@transaction.atomic
def remember_many(items: Sequence[Mapping[str, Any]]) -> list[MemoryEntry]:
    """Write several entries at once, each under `remember`'s rules; returns them in the given order.

    Each item holds `remember`'s keyword arguments. Every item is checked before anything is
    written: a bad one raises `InvalidMemory` naming its position (`items[3].key=...`) and nothing
    is written. One key may appear only once in a batch (two values for one fact in one breath
    are a bug in the caller, not a supersede). Refreshed keys return their current entry.
    """
    if isinstance(items, Mapping) or not isinstance(items, Sequence):
        raise InvalidMemory("items", items, "expected a list of remember() keyword dicts")
    entries: list[MemoryEntry] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidMemory(f"items[{position}]", item, "expected a dict of remember() keyword arguments")
        try:
            entry = _prepare(**item)
        except InvalidMemory as exc:
            raise InvalidMemory(f"items[{position}].{exc.field}", exc.value, exc.problem) from None
        except TypeError as exc:  # an unknown keyword
            raise InvalidMemory(f"items[{position}]", sorted(item), str(exc)) from None
        if entry.key is not None:
            if entry.key in seen:
                raise InvalidMemory(
                    f"items[{position}].key", entry.key, f"already given at items[{seen[entry.key]}]; one value per key"
                )
            seen[entry.key] = position
        entries.append(entry)
    if not entries:
        return []
    return _with_retries(_lock_keys, sorted(seen), lambda: _write_batch(entries), entries)


def _lock_keys(keys: list[str]) -> None:
    """On PostgreSQL, queue writers of the same keys (sorted: two batches never wait on each other in a ring)."""
    if not (SERIALISE_KEY_WRITES and keys and connection.vendor == "postgresql"):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(k)) FROM unnest(%s::text[]) AS k ORDER BY k",
            [_ADVISORY_LOCK_CLASS, keys],
        )


def _with_retries(lock: Any, keys: list[str], write: Any, entries: Sequence[MemoryEntry]) -> Any:
    lock(keys)
    # Each lost race means another writer's entry for the key committed, so W concurrent writers
    # lose at most W - 1 times each; the bound is generous for real fan-outs.
    for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
        try:
            # A savepoint per attempt: a lost race (unique violation) rolls back only this attempt.
            with transaction.atomic():
                return write()
        except (_LostRace, IntegrityError) as exc:
            if isinstance(exc, IntegrityError) and not _is_one_current_violation(exc):
                raise
            if attempt == MAX_WRITE_ATTEMPTS:
                raise
            for entry in entries:
                entry.pk = None
                entry.supersedes = None
    raise AssertionError("unreachable")  # pragma: no cover


def _is_one_current_violation(exc: IntegrityError) -> bool:
    message = str(exc)
    # PostgreSQL names the constraint; SQLite names the columns of the partial unique index.
    return "memory_one_current_per_key" in message or "memory_memoryentry.key" in message


def _current_entries(keys: Sequence[str]) -> dict[str, MemoryEntry]:
    # No ORDER BY: the memory_one_current_per_key constraint leaves at most one current entry per key,
    # and ordering it (Meta.ordering) costs a sort and query compilation on every write.
    found = (
        MemoryEntry.objects.filter(key__in=keys, is_current=True)
        .annotate(author_agent_id=F("author_run__agent_id"))
        .order_by()
    )
    return {entry.key: entry for entry in found if entry.key is not None}


def _compare(previous: MemoryEntry, entry: MemoryEntry, now: datetime) -> tuple[bool, bool]:
    """(is a refresh, opens a conflict) for `entry` written over the key's current `previous`."""
    still_valid = previous.valid_until is None or previous.valid_until > now
    same_author = _author_identity(previous) == _author_identity(entry)
    refresh = (
        same_author
        and still_valid
        and entry.value == previous.value
        and previous.text == entry.text
        and previous.data == entry.data
        and previous.confidence == entry.confidence
        and previous.evidence == entry.evidence
        and previous.valid_until == entry.valid_until
        and previous.kind == entry.kind
        and previous.division_id == entry.division_id
    )
    return refresh, still_valid and not same_author and entry.value != previous.value


def _supersede(previous: list[MemoryEntry]) -> None:
    """Mark the read entries superseded; if another writer got there first, start the write again."""
    if not previous:
        return
    # Conditional: if another writer superseded one since we read it, start again from its entry.
    changed = MemoryEntry.objects.filter(pk__in=[p.pk for p in previous], is_current=True).update(is_current=False)
    if changed != len(previous):
        raise _LostRace
    for entry in previous:
        entry.is_current = False
    history_write(previous, reason="superseded", refresh=False)


def _write_keyed(entry: MemoryEntry) -> MemoryEntry:
    assert entry.key is not None
    previous = _current_entries([entry.key]).get(entry.key)
    conflict = False
    if previous is not None:
        refresh, conflict = _compare(previous, entry, timezone.now())
        if refresh:
            return previous
        _supersede([previous])
        entry.supersedes = previous
    entry.save()
    if conflict and previous is not None:
        Conflict.objects.create(key=entry.key, earlier=previous, later=entry)
    return entry


def _write_batch(entries: list[MemoryEntry]) -> list[MemoryEntry]:
    now = timezone.now()
    current = _current_entries([e.key for e in entries if e.key is not None])
    result: list[MemoryEntry] = []
    new: list[MemoryEntry] = []
    superseded: list[MemoryEntry] = []
    conflicts: list[MemoryEntry] = []
    for entry in entries:
        previous = current.get(entry.key) if entry.key is not None else None
        if previous is not None:
            refresh, conflict = _compare(previous, entry, now)
            if refresh:
                result.append(previous)
                continue
            superseded.append(previous)
            entry.supersedes = previous
            if conflict:
                conflicts.append(entry)
        new.append(entry)
        result.append(entry)
    _supersede(superseded)
    # Both backends return the new primary keys from a bulk insert (SQLite 3.35+, PostgreSQL).
    MemoryEntry.objects.bulk_create(new)
    history_write(new, created=True)
    for entry in conflicts:
        assert entry.key is not None and entry.supersedes is not None  # a conflict supersedes a keyed entry
        Conflict.objects.create(key=entry.key, earlier=entry.supersedes, later=entry)
    return result
