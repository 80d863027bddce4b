"""Full-text search over memory, one implementation per database, both with bounded work per query.

PostgreSQL: `memory_memoryentry.search_vector`, a stored generated tsvector column with a GIN index
(migration 0002; the column is not on the Django model, it is only read here).
SQLite: `memory_memoryentry_fts`, an FTS5 table over the same text kept in step by triggers
(migration 0002).

Both return *candidates*: the `window` most recent matching entries (by id, i.e. by the order they
were written) with a relevance score (higher is better). The caller ranks those by relevance and
recency. The window is what keeps a recall's cost flat as memory grows: the database never ranks
every match of a common word in a million rows, only the newest few hundred.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# Words of the query: letters and digits only, so that nothing a user types can be read as
# tsquery or FTS5 syntax.
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 16


@dataclass(frozen=True)
class Candidate:
    id: int
    relevance: float
    valid_from: datetime


def query_words(query: str) -> list[str]:
    words: list[str] = []
    for word in _WORD_RE.findall(query.lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def _filters(division_id: int | None, kinds: Sequence[str] | None, current_only: bool) -> tuple[str, list]:
    sql = " AND m.is_current" if current_only else ""
    params: list = []
    if division_id is not None:
        sql += " AND m.division_id = %s"
        params.append(division_id)
    if kinds:
        sql += " AND m.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params.extend(kinds)
    return sql, params


def candidates(
    query: str,
    *,
    division_id: int | None,
    kinds: Sequence[str] | None,
    window: int,
    current_only: bool = True,
) -> list[Candidate]:
    words = query_words(query)
    if not words:
        return []
    if connection.vendor == "postgresql":
        return _postgresql(words, division_id=division_id, kinds=kinds, window=window, current_only=current_only)
    if connection.vendor == "sqlite":
        return _sqlite(words, division_id=division_id, kinds=kinds, window=window, current_only=current_only)
    raise NotImplementedError(f"memory recall has no full-text search for {connection.vendor}")


def _postgresql(
    words: list[str], *, division_id: int | None, kinds: Sequence[str] | None, window: int, current_only: bool
) -> list[Candidate]:
    # Any word may match (OR): a recall topic is a handful of words, rarely all in one entry.
    # to_tsquery stems and drops stop words; each word is plain alphanumerics, so no syntax.
    tsquery = " | ".join(words)
    where, params = _filters(division_id, kinds, current_only)
    sql = f"""
        WITH q AS (SELECT to_tsquery('english', %s) AS query),
        hits AS (
            SELECT m.id, m.valid_from, m.search_vector
            FROM memory_memoryentry m, q
            WHERE m.search_vector @@ q.query {where}
            ORDER BY m.id DESC
            LIMIT %s
        )
        SELECT hits.id, ts_rank_cd(hits.search_vector, q.query, 32) AS relevance, hits.valid_from
        FROM hits, q
    """
    with connection.cursor() as cursor:
        # to_tsquery of only stop words is empty, and @@ an empty query matches nothing: fine.
        cursor.execute(sql, [tsquery, *params, window])
        return [Candidate(id=row[0], relevance=float(row[1]), valid_from=row[2]) for row in cursor.fetchall()]


def _sqlite(
    words: list[str], *, division_id: int | None, kinds: Sequence[str] | None, window: int, current_only: bool
) -> list[Candidate]:
    match = " OR ".join(f'"{word}"' for word in words)
    where, params = _filters(division_id, kinds, current_only)
    # bm25() is lower-is-better and negative; flip it so that higher is better on both backends.
    sql = f"""
        SELECT f.rowid, -bm25(memory_memoryentry_fts) AS relevance, m.valid_from
        FROM memory_memoryentry_fts f
        JOIN memory_memoryentry m ON m.id = f.rowid
        WHERE memory_memoryentry_fts MATCH %s {where}
        ORDER BY f.rowid DESC
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, window])
        rows = cursor.fetchall()
    result = []
    for pk, relevance, valid_from in rows:
        when = valid_from if isinstance(valid_from, datetime) else parse_datetime(valid_from)
        if when is None:
            raise ValueError(f"memory entry #{pk}: valid_from {valid_from!r} is not a date and time")
        if timezone.is_naive(when):
            # SQLite keeps UTC without an offset (USE_TZ); the ORM adds it back, a raw cursor does not.
            when = when.replace(tzinfo=dt.UTC)
        result.append(Candidate(id=pk, relevance=float(relevance), valid_from=when))
    return result
