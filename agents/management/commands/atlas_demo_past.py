"""`manage.py atlas_demo_past`: give the demo brand its past (proposals, decisions, executions, outcomes)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.demo_past import DemoPastError, demo_past_plant


class Command(BaseCommand):
    help = (
        "After atlas_demo: replay the demo brand's weeks before today through the services (a budget cut, a "
        "markdown and a win-back e-mail proposed by their specialists, approved by the demo's people and "
        "executed on their day's clock; a proposal the sales director rejected yesterday), then run the "
        "outcome checks over the data. Running it again replays nothing and only runs the due checks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the past proposals and the checks as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            past = demo_past_plant()
        except DemoPastError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(past.as_dict(), indent=2, default=str))
            return
        if not past.planted:
            self.stdout.write("The demo's past was already there: nothing replayed.")
        for proposal in past.proposals:
            self.stdout.write(f"  #{proposal.pk} {proposal.agent_key:<20} {proposal.title} [{proposal.status}]")
        outcomes = past.outcomes
        for written in outcomes["written"]:
            self.stdout.write(f"  outcome {written['key']}: {written['verdict']} ({written['confidence']:.0%})")
        if outcomes["failed"]:
            raise CommandError(f"Outcome checks failed: {outcomes['failed']}")
        self.stdout.write(
            self.style.SUCCESS(
                f"The demo's past is in place: {outcomes['checked']} outcome check(s) run, "
                f"{len(outcomes['written'])} judged, {len(outcomes['too_early'])} too early."
            )
        )
