"""Where a benchmark ran: database, broker, machine, versions and commit, for the JSON report."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "cpu": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
    }


def _memory_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def database() -> dict[str, Any]:
    """The vendor and server version of Django's default connection (the part's database)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return {"vendor": "sqlite", "version": sqlite3.sqlite_version}
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return {"vendor": connection.vendor, "version": version}


def versions() -> dict[str, Any]:
    import sqlite3

    return {
        "python": sys.version.split()[0],
        "django": _version("Django"),
        "django-q2": _version("django-q2"),
        "psycopg": _version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
    }


def broker(redis_url: str | None) -> str:
    return "redis" if redis_url else "orm"


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}
