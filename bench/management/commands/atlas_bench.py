"""`manage.py atlas_bench`: Atlas measured at a chosen scale (issue 16); see bench/runner.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import facts, runner
from bench.harness import SCALES
from bench.parts import all_keys
from bench.report import markdown_table, text_table


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Command(BaseCommand):
    help = (
        "Benchmark Atlas: build data at the chosen scale in a fresh database per part (SQLite under a scratch "
        "folder, or a PostgreSQL database beside DATABASE_URL's), measure, print a table (median, min, max, the "
        "goal and whether it is met) and optionally write every sample as JSON. Exits non-zero when a part fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", default="standard", help=f"Data sizes and repeats: {', '.join(SCALES)} (default standard)."
        )
        parser.add_argument("--only", default="", help=f"Comma-separated keys to measure: {', '.join(all_keys())}.")
        parser.add_argument("--json", dest="json_path", default="", help="Write the full report as JSON to FILE.")
        parser.add_argument("--markdown", action="store_true", help="Print the table as markdown (the README's).")
        # The parent starts one child per part with these; not for people.
        parser.add_argument("--run-part", default="", help="(internal) measure this part in this process.")
        parser.add_argument("--workdir", default="", help="(internal) the part's scratch folder.")
        parser.add_argument("--result", default="", help="(internal) where the part writes its figures.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scale = runner.scale_named(options["scale"])
            by_part = runner.plan(options["only"])
            if options["run_part"]:
                self._child(options, scale, by_part)
                return
            json_path = Path(options["json_path"]) if options["json_path"] else None
            if json_path is not None:
                runner.check_writable(json_path, "--json")
        except runner.BenchError as exc:
            raise CommandError(str(exc)) from None
        base_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(settings.VAR_DIR) / 'atlas.sqlite3'}"
        redis_url = os.environ.get("REDIS_URL") or None
        started_at, started, commit = dt.datetime.now(dt.UTC), time.monotonic(), facts.git_commit()
        outcomes = runner.run_parts(scale=scale, by_part=by_part, base_url=base_url, redis_url=redis_url, log=_log)
        report = runner.document(
            scale=scale,
            outcomes=outcomes,
            base_url=base_url,
            redis_url=redis_url,
            started_at=started_at,
            seconds=time.monotonic() - started,
            git=commit,
        )
        if json_path is not None:
            json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        self.stdout.write(markdown_table(outcomes) if options["markdown"] else text_table(outcomes))
        machine = report["machine"]
        self.stdout.write(
            f"\nscale {scale.name}, {report['database']['vendor']} {report['database']['version']}, "
            f"{report['broker']} broker, {machine['cores']} cores, {machine['memory_gib']} GiB, {machine['cpu']}; "
            f"{report['duration_s']} s"
        )
        if report["failed"]:
            raise CommandError(f"part(s) failed: {', '.join(report['failed'])} (see the table)")

    def _child(self, options: dict[str, Any], scale: runner.Scale, by_part: dict[str, list[str]]) -> None:
        name = options["run_part"]
        if name not in by_part:
            raise CommandError(f"--run-part {name!r}: no such part, or none of its keys asked")
        if not options["workdir"] or not options["result"]:
            raise CommandError("--run-part needs --workdir and --result")
        ok = runner.run_part_here(
            name=name,
            keys=by_part[name],
            scale=scale,
            workdir=Path(options["workdir"]),
            result_path=Path(options["result"]),
            log=_log,
        )
        if not ok:
            raise CommandError(f"part {name} failed (see its error above)")
