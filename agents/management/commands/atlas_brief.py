"""Print the orchestrator's briefing of a brand day (text, or JSON for scripts)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.orchestrator.digest import briefing_json_for
from agents.orchestrator.selectors import briefing_for, briefing_json
from agents.runtime.access import AccessDenied, person_named
from agents.runtime.llm import drafted_by_label
from brand.clock import brand_today
from brand.money import money_words


class Command(BaseCommand):
    help = (
        "Print the morning briefing of a brand day: the narrative, the win, the risk, the opportunity, the rest. "
        "Without --as, the whole briefing (the operator's view); with --as USER, what that person's digest shows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Brand day, YYYY-MM-DD (default: today, brand time).")
        parser.add_argument("--json", action="store_true", help="Print the briefing as JSON.")
        parser.add_argument(
            "--as",
            dest="username",
            help="Show the briefing as this person sees it: their divisions' items and proposals (owners: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = person_named(options["username"]) if options["username"] else None
        except AccessDenied as exc:
            raise CommandError(str(exc)) from exc
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date {options['date']!r}: expected YYYY-MM-DD.") from exc
        else:
            day = brand_today()
        briefing = briefing_for(day)
        if briefing is None:
            raise CommandError(f"No briefing for {day}: run the cycle first (python manage.py atlas_run).")
        data = briefing_json(briefing) if user is None else briefing_json_for(user, briefing)
        if data is None:  # never: the briefing was just found
            raise CommandError(f"No briefing for {day}.")
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, default=str))
            return
        w = self.stdout.write
        w(f"Briefing for {data['date']} by {data['persona']} ({drafted_by_label(data['drafted_by'])})")
        w("")
        w(data["narrative"])
        for kind in ("risk", "win", "opportunity"):
            item = data[kind]
            if item is None:
                continue
            w("")
            w(f"{kind.capitalize()}: {item['title']}")
            w(f"  {item['text']}")
            if item["proposals"]:
                w(f"  Proposals ready to decide: {', '.join(f'#{p}' for p in item['proposals'])}")
            w(f"  Ranking: {_ranking(item['ranking'])}")
        if data["ranked"]:
            w("")
            w("The rest, ranked:")
            for item in data["ranked"]:
                w(f"  {item['rank']:>2}. {item['title']}  [{_ranking(item['ranking'])}]")
        if data["held"]:
            w("")
            w("Held, and why:")
            for held in data["held"]:
                bundle = ", ".join(f"#{b}" for b in held["bundled_with"])
                w(f"  #{held['proposal']} {held['title']}: {held['reason']}" + (f" (with {bundle})" if bundle else ""))


def _ranking(r: dict[str, Any]) -> str:
    if not r:
        return "-"
    return f"{money_words(r.get('money_at_stake'))} x {r.get('confidence')} x {r.get('urgency')} = {r.get('score')}"
