"""Run the benchmark: each part in a fresh database and a child process of its own.

The parent (`atlas_bench`) checks what was asked before any work, then for each part with an
asked key makes an empty database, starts `manage.py atlas_bench --run-part NAME` with
DATABASE_URL pointing at it (so the part and every process it starts, a qcluster or gunicorn, use
it), and reads the part's figures back from a JSON file. A part that fails is reported with its
error; the others still run. The child migrates its database, measures, and writes its figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import databases, facts
from .harness import SCALES, BenchContext, Figure, Scale
from .parts import PARTS, all_keys, part_of
from .report import PartOutcome

MANAGE = facts.ROOT / "manage.py"


class BenchError(ValueError):
    """What was asked cannot be run (unknown key or scale, an unwritable report path)."""


def plan(only: str | None) -> dict[str, list[str]]:
    """The asked keys by part, in the registry's order; every key when `only` is empty."""
    known = all_keys()
    if not only:
        asked = known
    else:
        asked = [key.strip() for key in only.split(",") if key.strip()]
        if not asked:
            raise BenchError("--only names no key; expected one or more of: " + ", ".join(known))
        unknown = [key for key in asked if part_of(key) is None]
        if unknown:
            raise BenchError(f"--only: unknown key(s) {', '.join(unknown)}; expected some of: {', '.join(known)}")
    by_part: dict[str, list[str]] = {}
    for name, module in PARTS.items():
        keys = [key for key in module.KEYS if key in asked]
        if keys:
            by_part[name] = keys
    return by_part


def scale_named(name: str) -> Scale:
    if name not in SCALES:
        raise BenchError(f"--scale {name!r}: expected one of {', '.join(SCALES)}")
    return SCALES[name]


def check_writable(path: Path, option: str) -> None:
    """Refuse a report path that cannot be written, before any work is spent on it."""
    if path.is_dir():
        raise BenchError(f"{option} {path}: is a folder, expected a file path")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BenchError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BenchError(f"{option} {path}: not writable")


# --- the parent ----------------------------------------------------------------------------------
def run_parts(
    *, scale: Scale, by_part: dict[str, list[str]], base_url: str, redis_url: str | None, log: Callable[[str], None]
) -> list[PartOutcome]:
    outcomes: list[PartOutcome] = []
    scratch = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    try:
        for name, keys in by_part.items():
            workdir = scratch / name
            workdir.mkdir()
            log(f"[{name}] {', '.join(keys)} at scale {scale.name}")
            outcome = _run_child(name, keys, scale, base_url, workdir, log)
            state = f"FAILED: {(outcome.error or '').splitlines()[0]}" if outcome.failed else "done"
            log(f"[{name}] {state} in {outcome.seconds:.1f} s")
            outcomes.append(outcome)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return outcomes


def _run_child(
    name: str, keys: list[str], scale: Scale, base_url: str, workdir: Path, log: Callable[[str], None]
) -> PartOutcome:
    outcome = PartOutcome(name=name, keys=keys)
    url = databases.part_database_url(base_url, name, workdir)
    result_path = workdir / "result.json"
    started = time.monotonic()
    try:
        databases.create(url)
        command = [sys.executable, str(MANAGE), "atlas_bench", "--run-part", name, "--scale", scale.name]
        command += ["--only", ",".join(keys), "--workdir", str(workdir), "--result", str(result_path)]
        # A queue of its own: tasks another run left in a shared Redis broker are not this part's.
        env = {**os.environ, "DATABASE_URL": url, "Q_CLUSTER_NAME": f"atlas-bench-{name}-{os.getpid()}"}
        # The child's stdout is progress too: the parent's stdout is for the table alone.
        done = subprocess.run(command, cwd=facts.ROOT, env=env, stdout=sys.stderr, check=False)
        result: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
        outcome.database = result.get("database")
        outcome.figures = [Figure.from_json(f) for f in result.get("figures", [])]
        if result.get("error"):
            outcome.error = result["error"]
        elif done.returncode != 0:
            outcome.error = f"the part's process exited with status {done.returncode}"
        else:
            missing = [key for key in keys if not any(f.key == key for f in outcome.figures)]
            if missing:
                outcome.error = f"no figure for {', '.join(missing)}"
    except Exception as exc:  # a part's failure is data: the others still run
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            databases.drop(url)
        except Exception as exc:
            log(f"[{name}] could not drop {url}: {exc}")
        outcome.seconds = time.monotonic() - started
    return outcome


def document(
    *,
    scale: Scale,
    outcomes: list[PartOutcome],
    base_url: str,
    redis_url: str | None,
    started_at: dt.datetime,
    seconds: float,
    git: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON report: every figure with its samples, and where and with what it was measured."""
    database = next((o.database for o in outcomes if o.database), None) or {
        "vendor": "postgresql" if databases.is_postgres(base_url) else "sqlite",
        "version": None,
    }
    versions = facts.versions()
    if database["vendor"] == "postgresql":
        versions["postgresql"] = database.get("version")
    return {
        "scale": asdict(scale),
        "started_at": started_at.isoformat(),
        "duration_s": round(seconds, 1),
        "database": database,
        "broker": facts.broker(redis_url),
        "machine": facts.machine(),
        "versions": versions,
        # The commit read when the run started: the code measured, even if a commit landed meanwhile.
        "git": git if git is not None else facts.git_commit(),
        "parts": {
            o.name: {
                "keys": o.keys,
                "status": "failed" if o.failed else "ok",
                "error": o.error,
                "seconds": round(o.seconds, 1),
            }
            for o in outcomes
        },
        "failed": [o.name for o in outcomes if o.failed],
        "figures": [{"part": o.name, **f.as_json()} for o in outcomes for f in o.figures],
    }


# --- the child -----------------------------------------------------------------------------------
def run_part_here(
    *, name: str, keys: list[str], scale: Scale, workdir: Path, result_path: Path, log: Callable[[str], None]
) -> bool:
    """In the child: migrate the part's database, measure, write the figures (or the error)."""
    from django.conf import settings
    from django.core.management import call_command

    # Measure as production runs: with DEBUG on (the usual local settings) every query's SQL is
    # formatted and kept, a tenth of a bulk import's time. Only this process's reads of the
    # setting change (the debug cursor); what a part's subprocesses read comes from the environment.
    settings.DEBUG = False
    result: dict[str, Any] = {}
    ok = False
    try:
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"[{name}] migrated its database in {time.monotonic() - started:.1f} s")
        result["database"] = facts.database()
        ctx = BenchContext(
            scale=scale,
            database_url=os.environ["DATABASE_URL"],
            redis_url=os.environ.get("REDIS_URL") or None,
            workdir=workdir,
            log=log,
        )
        figures = PARTS[name].run(ctx, frozenset(keys))
        result["figures"] = [f.as_json() for f in figures]
        ok = True
    except Exception as exc:
        log(traceback.format_exc())
        result["error"] = f"{type(exc).__name__}: {exc}"
    result_path.write_text(json.dumps(result, default=str))
    return ok
