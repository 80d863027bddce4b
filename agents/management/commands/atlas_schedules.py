"""Create or update the django-q2 schedules: the morning cycle (brand time) and the approvals sweepers."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agents.runtime.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create or update Atlas's schedules (idempotent): the morning cycle at the brand's hour, the sweepers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the schedules as JSON.")

    def handle(self, *args: Any, **opts: Any) -> None:
        schedules = ensure_schedules()
        if opts["json"]:
            self.stdout.write(json.dumps(schedules, indent=2))
            return
        for s in schedules:
            self.stdout.write(f"{s['name']:<32} {s['func']:<40} next {s['next_run']}")
