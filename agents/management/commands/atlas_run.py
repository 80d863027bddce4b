"""Run the agents' cycle now: on the cluster (default, with a progress display) or in-process (--sync)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.models import Cycle, CycleStatus, RunStatus
from agents.orchestrator.selectors import briefing_json
from agents.runtime.access import AccessDenied, person_named, run_scope_check
from agents.runtime.selectors import cycle_report
from agents.runtime.services import CycleAlreadyRunning, CycleError, cycle_progress, cycle_start


class Command(BaseCommand):
    help = (
        "Run the daily cycle (specialists, then directors, then the orchestrator) for the brand day, or only one "
        "division or one agent. Without --sync the runs go to the qcluster and this command waits for them. "
        "Without --as it runs as the system (the operator's cron); with --as USER it checks that person's role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--division", help="Only this division's specialists and director (slug, e.g. growth).")
        parser.add_argument("--agent", dest="agent_key", help="Only this agent (key, e.g. growth.paid_media).")
        parser.add_argument("--sync", action="store_true", help="Run in this process, without a qcluster.")
        parser.add_argument(
            "--as",
            dest="username",
            help="Run for this person: the whole cycle takes an owner, a --division or --agent an approver or "
            "director of that division. Without it the command runs as the system.",
        )
        parser.add_argument("--json", action="store_true", help="Print the cycle's runs and proposals as JSON.")
        parser.add_argument(
            "--trigger", choices=["manual", "schedule"], default="manual", help="Recorded on the cycle and its runs."
        )
        parser.add_argument(
            "--timeout", type=float, default=900, help="Seconds to wait for the cluster before giving up (default 900)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["division"] and opts["agent_key"]:
            raise CommandError("Give --division or --agent, not both.")
        if opts["username"]:
            try:
                run_scope_check(
                    user=person_named(opts["username"]), division=opts["division"], agent_key=opts["agent_key"]
                )
            except AccessDenied as exc:
                raise CommandError(str(exc)) from exc
        # With --json, stdout is for the JSON only: progress and notices go to stderr.
        self.progress_out = self.stderr if opts["json"] else self.stdout
        try:
            cycle = cycle_start(
                trigger=opts["trigger"], division=opts["division"], agent_key=opts["agent_key"], sync=opts["sync"]
            )
        except CycleAlreadyRunning as exc:
            self.stderr.write(f"{exc} Waiting for it instead.")
            cycle = exc.cycle
            self._wait(cycle, opts["timeout"])
        except CycleError as exc:
            raise CommandError(str(exc)) from exc
        else:
            if not opts["sync"]:
                self._wait(cycle, opts["timeout"])
        cycle.refresh_from_db()
        report = {**cycle_report(cycle), "briefing": briefing_json(cycle)}
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            self._print(cycle, report)

    def _wait(self, cycle: Cycle, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        interactive = self.progress_out.isatty()
        while True:
            cycle.refresh_from_db()
            counts = cycle_progress(cycle)
            done = counts[RunStatus.SUCCEEDED] + counts[RunStatus.FAILED] + counts[RunStatus.SKIPPED]
            total = sum(counts.values())
            line = (
                f"cycle {cycle.pk} [{cycle.phase}] {done}/{total} runs done "
                f"({counts[RunStatus.RUNNING]} running, {counts[RunStatus.QUEUED]} queued, "
                f"{counts[RunStatus.FAILED]} failed)"
            )
            if line != last:
                if interactive:
                    self.progress_out.write("\r" + line, ending="")
                    self.progress_out.flush()
                else:
                    self.progress_out.write(line)
                last = line
            if cycle.status != CycleStatus.RUNNING:
                if interactive:
                    self.progress_out.write("")
                return
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Cycle {cycle.pk} is still running after {timeout:.0f}s ({line}). It carries on in the cluster; "
                    "is a qcluster running (python manage.py qcluster)?"
                )
            time.sleep(0.5)

    def _print(self, cycle: Cycle, report: dict[str, Any]) -> None:
        w = self.stdout.write
        w(f"Cycle {cycle.pk} for {cycle.brand_date} ({cycle.scope or 'all divisions'}): {cycle.status}")
        for run in report["runs"]:
            style = self.style.ERROR if run["status"] == RunStatus.FAILED else (lambda s: s)
            extra = f"  {run['llm_calls']} call(s), {run['tokens_in']}/{run['tokens_out']} tokens, ${run['cost']}"
            w(style(f"  {run['status']:<10} {run['agent']:<32}{extra}"))
            if run["error"]:
                w(style(f"             {run['error'].splitlines()[0][:160]}"))
        w(f"{len(report['proposals'])} proposal(s), {report['memory_written']} memory entr(y/ies) written.")
        if report["briefing"]:
            w("Briefing written.")
        sys.stdout.flush()
