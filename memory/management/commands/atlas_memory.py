"""atlas_memory: add a person's preference or fact, recall, show a key's history, list conflicts."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from atlas_project.audit import Actor, acting_as
from memory.errors import AtlasMemoryError
from memory.models import Conflict, Kind, MemoryEntry
from memory.selectors import conflicts_open, key_history, outcomes, recall
from memory.services import KEY_RE, memory_add_by_person, memory_promote


def entry_as_dict(entry: MemoryEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "key": entry.key,
        "subject": entry.subject,
        "text": entry.text,
        "data": entry.data,
        "division": entry.division.slug if entry.division is not None else None,
        "author": entry.author_label,
        "author_type": "agent" if entry.author_run_id else ("user" if entry.author_user_id else "unknown"),
        "confidence": entry.confidence,
        "evidence": entry.evidence,
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "is_current": entry.is_current,
        "supersedes": entry.supersedes_id,
        "in_conflict": bool(getattr(entry, "in_conflict", False)),
        "created_at": entry.created_at.isoformat(),
    }


def conflict_as_dict(conflict: Conflict) -> dict[str, Any]:
    return {
        "id": conflict.pk,
        "key": conflict.key,
        "is_open": conflict.is_open,
        "earlier": {"id": conflict.earlier_id, "author": conflict.earlier.author_label, "text": conflict.earlier.text},
        "later": {"id": conflict.later_id, "author": conflict.later.author_label, "text": conflict.later.text},
        "earlier_value": conflict.earlier.value,
        "later_value": conflict.later.value,
        "resolution_note": conflict.resolution_note,
        "resolved_by": conflict.resolved_by.get_username() if conflict.resolved_by is not None else None,
        "resolved_at": conflict.resolved_at.isoformat() if conflict.resolved_at else None,
        "created_at": conflict.created_at.isoformat(),
    }


class Command(BaseCommand):
    help = (
        "The shared memory from the shell. "
        "add: a person's preference or fact (owners and division directors); "
        "recall QUERY: entries ranked by relevance and recency; "
        "show KEY: the current entry of a key and its history with authors; "
        "conflicts: open conflicts (--all for resolved ones too); "
        "remember ENTRY: turn a comment on record into a standing preference; "
        "outcomes: the verdicts of executed actions (track records: atlas_outcomes --track-record)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{add,recall,show,conflicts,remember,outcomes}"
        )

        add = sub.add_parser("add", help="Add a preference or fact as a person (owners and directors).")
        add.add_argument("--key", help="entity:attribute, e.g. policy:discount:max (optional for preferences)")
        add.add_argument("--text", required=True, help="What agents should know, in words.")
        add.add_argument("--value", help='The value as JSON, e.g. 20 or "paused" or {"max": 20}.')
        add.add_argument("--kind", default=Kind.PREFERENCE, help=f"One of {', '.join(Kind.values)} (preference).")
        add.add_argument("--division", help="Division slug; without it the entry is brand-wide (owners only).")
        add.add_argument("--subject", default="", help="A short subject line.")
        add.add_argument("--as", dest="username", required=True, help="Username of the person adding it.")
        add.add_argument("--json", action="store_true", help="Print the entry as JSON.")

        rec = sub.add_parser("recall", help="Entries relevant to a query, ranked by relevance and recency.")
        rec.add_argument("query", help="Words to look for.")
        rec.add_argument("--division", help="Only this division's entries.")
        rec.add_argument("--kind", action="append", dest="kinds", help="Only this kind (repeatable).")
        rec.add_argument("--limit", type=int, default=10, help="How many entries (10; at most 100).")
        rec.add_argument("--json", action="store_true", help="Print the entries as JSON.")

        show = sub.add_parser("show", help="The current entry of a key and its history.")
        show.add_argument("key", help="entity:attribute")
        show.add_argument("--json", action="store_true", help="Print as JSON.")

        conflicts = sub.add_parser("conflicts", help="Open conflicts between authors.")
        conflicts.add_argument("--all", action="store_true", help="Include resolved conflicts.")
        conflicts.add_argument("--limit", type=int, default=100, help="How many (100).")
        conflicts.add_argument("--json", action="store_true", help="Print as JSON.")

        keep = sub.add_parser(
            "remember", help="Turn a comment on record (a send-back's feedback, a decision) into a standing preference."
        )
        keep.add_argument("entry", type=int, help="The id of the memory entry holding the comment.")
        keep.add_argument("--as", dest="username", required=True, help="Username of the person (owner or director).")
        keep.add_argument("--key", help="entity:attribute for the preference, e.g. policy:discount:max (optional).")
        keep.add_argument("--value", help="The preference's value as JSON (default: the comment itself).")
        keep.add_argument("--text", default="", help="The preference in words (default: the comment).")
        scope = keep.add_mutually_exclusive_group()
        scope.add_argument("--division", help="Division slug (default: the entry's division).")
        scope.add_argument("--brand-wide", action="store_true", help="For the whole brand (owners only).")
        keep.add_argument("--json", action="store_true", help="Print the preference as JSON.")

        out = sub.add_parser("outcomes", help="Outcome checks of executed actions: verdict, numbers, confidence.")
        out.add_argument("--action-type", help="Only this action type, e.g. ads.set_daily_budget.")
        out.add_argument("--verdict", help="Only this verdict: worked, no_clear_effect, backfired, too_early.")
        out.add_argument("--limit", type=int, default=50, help="How many (50).")
        out.add_argument("--json", action="store_true", help="Print as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['action']}")
        try:
            handler(options)
        except AtlasMemoryError as exc:
            raise CommandError(str(exc)) from exc

    def _print_json(self, payload: Any) -> None:
        self.stdout.write(json.dumps(payload, indent=2, default=str))

    def _user(self, username: str) -> Any:
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"--as {username!r}: no such user")
        return user

    def _value(self, raw: str | None) -> Any:
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"--value {raw!r}: not valid JSON ({exc.msg} at column {exc.colno}); "
                "quote text as JSON, e.g. --value '\"paused\"'"
            ) from exc

    def _add(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        data = None
        if options["value"] is not None:
            data = {"value": self._value(options["value"])}
        with acting_as(Actor.for_user(user)):
            entry = memory_add_by_person(
                user=user,
                text=options["text"],
                kind=options["kind"],
                key=options["key"],
                subject=options["subject"],
                data=data,
                division=options["division"],
            )
        if options["json"]:
            self._print_json(entry_as_dict(entry))
        else:
            self.stdout.write(self.style.SUCCESS(f"Remembered #{entry.pk}: {entry}"))

    def _recall(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError(f"--limit {options['limit']}: must be at least 1")
        found = recall(options["query"], division=options["division"], kinds=options["kinds"], limit=options["limit"])
        if options["json"]:
            self._print_json([entry_as_dict(e) for e in found])
            return
        if not found:
            self.stdout.write("Nothing found.")
        for entry in found:
            flag = " [IN CONFLICT]" if getattr(entry, "in_conflict", False) else ""  # annotated by recall()
            label = entry.key or entry.subject or entry.kind
            self.stdout.write(f"#{entry.pk} {entry.valid_from:%Y-%m-%d} {label} ({entry.author_label}){flag}")
            self.stdout.write(f"    {entry.text}")

    def _show(self, options: dict[str, Any]) -> None:
        key = options["key"]
        if not KEY_RE.match(key):
            raise CommandError(f"key={key!r}: expected entity:attribute, e.g. sku:HP-104:days_of_cover")
        history = list(key_history(key)[:200])
        if not history:
            raise CommandError(f"key={key!r}: nothing remembered for this key")
        now_current = next((e for e in history if e.is_current), None)
        open_conflicts = list(conflicts_open().filter(key=key))
        if options["json"]:
            self._print_json(
                {
                    "key": key,
                    "current": entry_as_dict(now_current) if now_current else None,
                    "in_conflict": bool(open_conflicts),
                    "open_conflicts": [conflict_as_dict(c) for c in open_conflicts],
                    "history": [entry_as_dict(e) for e in history],
                }
            )
            return
        if now_current is not None:
            flag = self.style.WARNING(" [IN CONFLICT]") if open_conflicts else ""
            self.stdout.write(f"{key} = {now_current.text}{flag}")
        self.stdout.write("History (newest first):")
        for entry in history:
            marker = "*" if entry.is_current else " "
            value = f" value={entry.value!r}" if entry.has_value else ""
            self.stdout.write(
                f" {marker} #{entry.pk} {entry.created_at:%Y-%m-%d %H:%M} by {entry.author_label}:{value} {entry.text}"
            )

    def _remember(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        entry = MemoryEntry.objects.filter(pk=options["entry"]).select_related("division").first()
        if entry is None:
            raise CommandError(f"entry {options['entry']}: no such memory entry")
        with acting_as(Actor.for_user(user)):
            preference = memory_promote(
                entry=entry,
                user=user,
                key=options["key"],
                value=self._value(options["value"]),
                text=options["text"],
                division=options["division"],
                brand_wide=options["brand_wide"],
            )
        if options["json"]:
            self._print_json(entry_as_dict(preference))
        else:
            scope = preference.division.slug if preference.division is not None else "the whole brand"
            self.stdout.write(
                self.style.SUCCESS(f"Remembered #{preference.pk} for {scope} (from #{entry.pk}): {preference.text}")
            )

    def _outcomes(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError(f"--limit {options['limit']}: must be at least 1")
        found = list(outcomes(action_type=options["action_type"], verdict=options["verdict"])[: options["limit"]])
        if options["json"]:
            self._print_json([entry_as_dict(e) for e in found])
            return
        if not found:
            self.stdout.write("No outcomes yet.")
        for entry in found:
            data = entry.data or {}
            self.stdout.write(
                f"#{entry.pk} {entry.valid_from:%Y-%m-%d} {entry.key} {data.get('verdict', '?')} "
                f"(confidence {entry.confidence:.0%}, {entry.author_label})"
            )
            self.stdout.write(f"    {entry.text}")

    def _conflicts(self, options: dict[str, Any]) -> None:
        qs = (
            Conflict.objects.select_related("earlier", "later", "resolved_by")
            if options["all"]
            else conflicts_open().select_related("resolved_by")
        )
        found = list(qs.order_by("-created_at")[: max(1, options["limit"])])
        if options["json"]:
            self._print_json([conflict_as_dict(c) for c in found])
            return
        if not found:
            self.stdout.write("No open conflicts." if not options["all"] else "No conflicts.")
        for conflict in found:
            data = conflict_as_dict(conflict)
            state = "open" if conflict.is_open else f"resolved by {data['resolved_by']}: {conflict.resolution_note}"
            self.stdout.write(
                f"#{conflict.pk} {conflict.key} ({state})\n"
                f"    {data['earlier']['author']}: {data['earlier_value']!r}\n"
                f"    {data['later']['author']}: {data['later_value']!r}"
            )
