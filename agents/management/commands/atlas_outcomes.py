"""atlas_outcomes: run the due outcome checks, or show the agents' track records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.outcomes.checks import VERDICT_WORDS, VERDICTS
from agents.outcomes.selectors import track_record
from agents.outcomes.services import outcomes_run_due
from approvals import registry
from approvals.errors import UnknownActionType
from approvals.models import ProposedAction
from brand.clock import brand_today


class Command(BaseCommand):
    help = (
        "Check the outcome of every executed gated action whose horizon has passed (what the hourly schedule "
        "does) and write the verdicts to memory; or, with --track-record, show each agent's track record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--due", action="store_true", help="Run the due checks (the default when --track-record is not given)."
        )
        parser.add_argument("--proposal", type=int, action="append", help="Only this proposal's check (repeatable).")
        parser.add_argument("--date", help="Judge as of this brand day, YYYY-MM-DD (default: today, brand time).")
        parser.add_argument(
            "--track-record", action="store_true", help="Show proposals, decisions and outcomes per agent and type."
        )
        parser.add_argument("--agent", help="With --track-record: only this agent, e.g. growth.paid_media.")
        parser.add_argument("--action-type", help="With --track-record: only this action type.")
        parser.add_argument("--json", action="store_true", help="Print as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["track_record"] and (options["due"] or options["proposal"]):
            raise CommandError("--track-record shows records; run the checks (--due, --proposal) separately.")
        if options["track_record"]:
            self._track_record(options)
        else:
            self._run(options)

    def _today(self, raw: str | None) -> dt.date:
        if not raw:
            return brand_today()
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise CommandError(f"--date {raw!r}: expected YYYY-MM-DD.") from exc

    def _run(self, options: dict[str, Any]) -> None:
        today = self._today(options["date"])
        ids = options["proposal"]
        if ids:
            missing = sorted(set(ids) - set(ProposedAction.objects.filter(pk__in=ids).values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"--proposal {', '.join(map(str, missing))}: no such proposal")
        run = outcomes_run_due(today=today, proposal_ids=ids)
        if options["json"]:
            self.stdout.write(json.dumps(run.as_dict(), indent=2, default=str))
            return
        w = self.stdout.write
        w(f"Outcome checks as of {today}: {run.checked} due.")
        for entry in run.written:
            w(f"  {entry.key}: {entry.text}")
        if run.too_early:
            w(f"  Too early (checked again later): {', '.join(f'#{pk}' for pk in run.too_early)}")
        if run.kept_notes:
            w(f"  A person's note stands (not overwritten): {', '.join(f'#{pk}' for pk in run.kept_notes)}")
        for pk, error in run.failed.items():
            w(self.style.ERROR(f"  #{pk} failed: {error}"))
        if run.failed:
            raise CommandError(f"{len(run.failed)} outcome check(s) failed; the others were written.")

    def _track_record(self, options: dict[str, Any]) -> None:
        if options["action_type"]:
            try:
                registry.get(options["action_type"])
            except UnknownActionType as exc:
                raise CommandError(f"--action-type: {exc}") from exc
        records = track_record(agent_key=options["agent"], action_type=options["action_type"])
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in records], indent=2))
            return
        if not records:
            self.stdout.write("No proposals by agents yet.")
        for r in records:
            outcomes = ", ".join(f"{r.outcomes[v]} {VERDICT_WORDS[v]}" for v in VERDICTS if r.outcomes[v]) or "none yet"
            self.stdout.write(
                f"{r.agent_key} {r.action_type}: {r.proposed} proposed, {r.approved} approved, "
                f"{r.sent_back} sent back, {r.rejected} rejected, {r.executed} executed ({r.money_moved} moved); "
                f"outcomes: {outcomes}; "
                f"success rate {r.success_rate():.0%}"
            )
