"""`manage.py atlas_eval`: the agents judged on generated shops (issue 12's scenario library)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from agents.evaluation import ScenarioResult, evaluate
from brand.models import Order
from brand.scenarios import SCENARIOS, fast_scenarios


class Command(BaseCommand):
    help = (
        "Run the full morning cycle on generated shops (each loaded through the importers into a fresh database "
        "state) and score it: recall of planted signals with their numbers, false alarms on healthy shops, "
        "harmful proposals, the briefing's risk of the day. Empties the brand's data, memory and proposals: "
        "run it on a database of its own."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument("--fast", action="store_true", help="Only the fast subset (a handful of small shops).")
        parser.add_argument("--seeds", type=int, default=None, help="Only scenarios of the first N seeds.")
        parser.add_argument("--only", default="", help="Only scenarios whose name contains this text.")
        parser.add_argument(
            "--wipe", action="store_true", help="Run even though the database holds brand data (it is emptied)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        orders = Order.objects.count()
        if orders and not options["wipe"]:
            raise CommandError(
                f"This database holds brand data ({orders} orders) and atlas_eval empties it: run it on a database "
                "of its own, or pass --wipe."
            )
        scenarios = fast_scenarios() if options["fast"] else list(SCENARIOS)
        if options["seeds"] is not None:
            if options["seeds"] < 1:
                raise CommandError(f"--seeds {options['seeds']}: expected 1 or more.")
            scenarios = [s for s in scenarios if s.seed <= options["seeds"]]
        if options["only"]:
            scenarios = [s for s in scenarios if options["only"] in s.name]
        if not scenarios:
            raise CommandError("No scenario matches the options.")
        as_json = options["json"]

        def progress(r: ScenarioResult) -> None:
            if not as_json:
                self.stdout.write(
                    f"{r.name:<40} found {r.found}/{r.planted}  false alarms {len(r.false_alarms)}  "
                    f"harmful {len(r.harmful)}  risk {'ok' if r.risk_right else 'WRONG'}  {r.seconds}s"
                )

        report = evaluate(scenarios, progress=progress)
        summary = report.summary()
        if as_json:
            self.stdout.write(json.dumps({"summary": summary, "results": [r.as_dict() for r in report.results]}))
            return
        for r in report.results:
            for line in r.missed:
                self.stdout.write(f"  missed in {r.name}: {line}")
            for line in r.false_alarms:
                self.stdout.write(f"  false alarm in {r.name}: {line}")
            for line in r.harmful:
                self.stdout.write(f"  HARMFUL in {r.name}: {line}")
            if not r.risk_right:
                self.stdout.write(f"  risk in {r.name}: expected {r.risk_expected}, briefing said {r.risk_title!r}")
        self.stdout.write(json.dumps(summary, indent=2))
