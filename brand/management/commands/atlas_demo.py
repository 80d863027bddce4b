"""`manage.py atlas_demo`: build the Hearth & Pine demo brand through the importers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brand.demo import DemoNotPlanted, build_demo


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--end-date {text!r} is not a date (expected YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Build the demo brand Hearth & Pine: 180 days of history written as Shopify and ads exports under "
        "var/demo/seed-N/, loaded through atlas_import, with the signals of docs/demo-signals.md planted, "
        "and the demo users. Running it again with the same seed changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1); the data is deterministic.")
        parser.add_argument(
            "--end-date", default=None, help="Last day of history, YYYY-MM-DD (default: yesterday, brand time)."
        )
        parser.add_argument("--json", action="store_true", help="Print counts and the planted signals as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        end_date = _date(options["end_date"]) if options["end_date"] else None
        if options["seed"] < 0:
            raise CommandError("--seed must be zero or more.")
        try:
            result = build_demo(
                seed=options["seed"], end_date=end_date, stdout=None if options["json"] else self.stdout
            )
        except DemoNotPlanted as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
            return
        people = result["people"]
        if people["generated_password"]:
            self.stdout.write(
                self.style.WARNING(
                    f"Password of the {len(people['created'])} demo users just created (shown once): "
                    f"{people['generated_password']}"
                )
            )
        if people["existing"]:
            self.stdout.write(f"{len(people['existing'])} demo users already existed and keep their password.")
        for signal in result["signals"]:
            facts = ", ".join(f"{key}={value}" for key, value in signal["facts"].items())
            self.stdout.write(f"  #{signal['id']:>2} {signal['specialist']:<24} {signal['name']}: {facts}")
        self.stdout.write(self.style.SUCCESS(f"Hearth & Pine is ready ({result['seconds']}s)."))
