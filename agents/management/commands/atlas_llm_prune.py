"""Empty the prompts and answers of old LLM calls (ATLAS_LLM_LOG_RETENTION_DAYS)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.runtime.llm.usage import llm_log_prune


class Command(BaseCommand):
    help = (
        "Empty the prompt and response texts of LLM calls older than ATLAS_LLM_LOG_RETENTION_DAYS (or --days). "
        "The call rows stay, with their model, tokens, cost and error: the runs' totals and the daily budgets "
        "add them up, and the audit of what each agent spent outlives the text of what it said."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep the texts of this many days (default: ATLAS_LLM_LOG_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the calls that would be emptied; change nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print {days, dry_run, calls} as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.ATLAS_LLM_LOG_RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 0:
            raise CommandError(f"--days {days}: expected 0 or more days to keep.")
        calls = llm_log_prune(days=days, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps({"days": days, "dry_run": options["dry_run"], "calls": calls}))
            return
        verb = "would be emptied" if options["dry_run"] else "emptied"
        self.stdout.write(f"{calls} LLM call(s) older than {days} day(s): prompt and response {verb}.")
