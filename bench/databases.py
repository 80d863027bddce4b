"""The benchmark's own databases: a fresh one per part, and copies of a built one for repeated runs.

SQLite: a file under the scratch folder. PostgreSQL (when DATABASE_URL points at it): a database
named after the configured one (`<name>_bench_<part>`), dropped afterwards. A copy is a file copy
(after folding the write-ahead log in) or `CREATE DATABASE ... TEMPLATE`, so every repeated run
starts from the very state the part built, without building it again.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_PG_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in _PG_SCHEMES


def _pg_name(url: str) -> str:
    return urlsplit(url).path.strip("/")


def _pg_admin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres", query=""))


def part_database_url(base_url: str, part: str, workdir: Path) -> str:
    """Where part `part` gets its fresh database (not yet created)."""
    if is_postgres(base_url):
        parts = urlsplit(base_url)
        name = f"{_pg_name(base_url) or 'atlas'}_bench_{part}"
        return urlunsplit(parts._replace(path=f"/{name}"))
    return f"sqlite:///{workdir / f'bench-{part}.sqlite3'}"


def sqlite_path(url: str) -> Path:
    return Path(urlsplit(url).path)


def create(url: str) -> None:
    """An empty database at `url` (dropped first if a previous run left it)."""
    if is_postgres(url):
        _pg_recreate(url, template=None)
        return
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_unlink(path)


def drop(url: str) -> None:
    if is_postgres(url):
        _pg_execute(url, f'DROP DATABASE IF EXISTS "{_checked(_pg_name(url))}" WITH (FORCE)')
        return
    _sqlite_unlink(sqlite_path(url))


def copy(source_url: str, target_url: str) -> None:
    """`target_url` becomes a copy of `source_url` (nobody may be connected to the source on PostgreSQL)."""
    from django.db import connections

    # This process's own connection to the source would block the template copy (PostgreSQL) or
    # hold a read snapshot while the file is copied (SQLite).
    connections.close_all()
    if is_postgres(source_url):
        _pg_recreate(target_url, template=_pg_name(source_url))
        return
    source, target = sqlite_path(source_url), sqlite_path(target_url)
    # Fold the write-ahead log into the file so that one file holds every row.
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _sqlite_unlink(target)
    shutil.copyfile(source, target)


def sibling_url(url: str, suffix: str) -> str:
    """Another database next to `url`: `<name>_<suffix>`."""
    if is_postgres(url):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/{_pg_name(url)}_{suffix}"))
    path = sqlite_path(url)
    return f"sqlite:///{path.with_name(f'{path.stem}-{suffix}{path.suffix}')}"


@contextmanager
def connected_to(url: str) -> Iterator[None]:
    """Point Django's default connection at another database of the same vendor for the block.

    The part's processes were started with the part's database; a repeated run works on a copy,
    so this process (and any subprocess given `url` as its DATABASE_URL) must use the copy.
    """
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    before = settings_dict["NAME"]
    connections.close_all()
    settings_dict["NAME"] = _pg_name(url) if is_postgres(url) else str(sqlite_path(url))
    try:
        yield
    finally:
        connections.close_all()
        settings_dict["NAME"] = before


def _sqlite_unlink(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"PostgreSQL database name {name!r}: only letters, digits and underscores are used here")
    return name


def _pg_recreate(url: str, *, template: str | None) -> None:
    name = _checked(_pg_name(url))
    _pg_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    suffix = f' TEMPLATE "{_checked(template)}"' if template else ""
    _pg_execute(url, f'CREATE DATABASE "{name}"{suffix}')


def _pg_execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin(url), autocommit=True) as db:
        db.execute(statement)  # built from checked names only (_checked)
