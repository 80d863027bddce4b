"""Ask the orchestrator in words: it routes the request to a division and runs its specialists."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.orchestrator.intents import IntentError, intent_json, intent_proposals, intent_runs, intent_submit
from approvals.selectors import proposals_visible_to


class Command(BaseCommand):
    help = 'Route a request ("we\'re overstocked on the blue kettle") to a division and run its specialists.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help="What you want, in your own words.")
        parser.add_argument("--as", dest="username", required=True, help="Username of the person asking.")
        parser.add_argument("--division", help="Send it to this division (slug) instead of the router's choice.")
        parser.add_argument("--json", action="store_true", help="Print the intent, route and proposals as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"--as {options['username']!r}: no such user.")
        try:
            intent = intent_submit(user=user, text=options["text"], division=options["division"])
        except IntentError as exc:
            raise CommandError(str(exc)) from exc
        data = intent_json(intent)
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        w = self.stdout.write
        how = "you chose" if intent.overridden else f"confidence {intent.confidence:.0%}"
        w(f"Intent {intent.pk}: routed to {data['division']} ({how}).")
        w(f"  Why: {intent.reason}")
        for run in intent_runs(intent):
            w(f"  {run.agent.key}: run {run.pk} {run.status}")
            # What the agent could not do as asked, or the open work it pointed at instead, in its words.
            for warning in run.warnings or []:
                w(f"    note: {warning}")
        # The request may have landed in a division the person does not see: count that work, do not show it.
        proposals = list(intent_proposals(intent))
        shown = set(proposals_visible_to(user).filter(pk__in=[p.pk for p in proposals]).values_list("pk", flat=True))
        visible = [p for p in proposals if p.pk in shown]
        if proposals:
            w(f"{len(proposals)} proposal(s):")
        else:
            notes = [warning for run in intent_runs(intent) for warning in run.warnings or []]
            w(
                "No proposals came of it: the notes above say why."
                if notes
                else f"No proposals came of it: the {data['division'] or 'routed'} specialists found nothing to "
                "propose on what you asked, and none of them named a reason."
            )
        for p in visible:
            w(f"  #{p.pk} [{p.status}] {p.title or p.action_type}")
        if len(visible) < len(proposals):
            w(f"  {len(proposals) - len(visible)} in {data['division']}, for its approvers to show you.")
