"""Send the morning digest: one e-mail per person, their divisions only, their decisions with links."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.orchestrator.digest import digests_send
from brand.clock import brand_today


class Command(BaseCommand):
    help = "E-mail each person the day's briefing items of their divisions and their pending decisions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Brand day of the briefing, YYYY-MM-DD (default: today, brand time).")
        parser.add_argument("--dry-run", action="store_true", help="Print who would get what; send nothing.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = brand_today()
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date {options['date']!r}: expected YYYY-MM-DD.") from exc
        try:
            summaries = digests_send(day=day, dry_run=options["dry_run"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(summaries, indent=2))
            return
        verb = "would get" if options["dry_run"] else "got"
        for s in summaries:
            failed = s.get("sent") is False
            line = (
                f"{s['username']} <{s['email']}> {verb if not failed else 'was NOT sent'} "
                f"{len(s['items'])} item(s), {len(s['decisions'])} decision(s)"
            )
            self.stdout.write(self.style.ERROR(f"{line}: {s['error']}") if failed else line)
            for item in s["items"]:
                self.stdout.write(f"    {item}")
        if not summaries:
            self.stdout.write("Nobody to send to: no active person with an e-mail address and a membership.")
        if any(s.get("sent") is False for s in summaries):
            raise CommandError("Some digests were not sent; see above.")
