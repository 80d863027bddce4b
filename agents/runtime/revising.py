"""A revision after a send-back says what changed and why, or that the agent could not act on the comment.

Every specialist that re-proposes after a send-back goes through `RunContext.propose`, which calls
`revise` here: so no agent, however it handles (or ignores) the comment, hands people back a silent
twin of what they sent back. When the agent re-proposes the very same arguments, the runtime applies
what the comment plainly asks for (`parse_ask`: an amount, a percentage, a date, a subject line) to
the one argument of that kind; when that is not possible either, the revision says so, quoting the
comment, and keeps the proposal as it was.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from agents.runtime.asks import Ask, parse_ask
from approvals import registry
from approvals.errors import ApprovalError, InvalidArguments

if TYPE_CHECKING:
    from approvals.models import ProposedAction


@dataclass(frozen=True)
class Revision:
    """The arguments to propose and the note that heads the revision's rationale."""

    args: dict[str, Any]
    note: str
    changed: bool


def revise(*, original: ProposedAction, args: dict[str, Any], comment: str) -> Revision:
    """What the revision of `original` proposes (`args` as the agent drafted them, or the comment applied
    to them when the agent kept them as they were) and its note."""
    try:
        action = registry.get(original.action_type)
        before = action.dump(action.parse(original.args))
        after = action.dump(action.parse(args))
    except ApprovalError:
        return Revision(args=args, note="", changed=True)  # proposal_create names the problem and refuses it
    unheard: list[str] = []
    if after == before:
        after, unheard = _apply(action, after, parse_ask(comment))
    changes = _changes(action, before, after)
    quoted = f"“{comment.strip()}”" if comment.strip() else "(no comment)"
    if changes:
        note = f"Revised after the comment {quoted}: {'; '.join(changes)}."
        if unheard:
            note += f" Not done: {'; '.join(unheard)}."
        return Revision(args=after, note=note, changed=True)
    why = "; ".join(unheard) or "it names no amount, percentage, date or subject line to apply"
    note = f"Could not act on the comment {quoted}: {why}. The agent keeps its proposal as it was."
    return Revision(args=after, note=note, changed=False)


def _apply(action: registry.ActionType, args: dict[str, Any], ask: Ask) -> tuple[dict[str, Any], list[str]]:
    """`args` with what `ask` names put into the one argument of its kind, and what could not be done."""
    fields = action.Args.model_fields
    revised, unheard = dict(args), []
    wanted: list[tuple[str, str, Any]] = []  # (kind, field, value)
    if ask.percent is not None:
        wanted.append(("a percentage", "percent", ask.percent))
    if ask.amount is not None:
        wanted.append(("an amount", "amount", ask.amount))
    if ask.date is not None:
        wanted.append(("a date", "date", ask.date))
    if ask.subject:
        wanted.append(("a subject line", "subject", ask.subject))
    for label, kind, value in wanted:
        names = [name for name, info in fields.items() if _is_kind(name, info.annotation, kind)]
        if len(names) != 1:
            has = "no such argument" if not names else f"several ({', '.join(names)}), and it does not say which"
            unheard.append(f"it asks for {label} but {action.label or action.key} has {has}")
            continue
        name = names[0]
        candidate = {**revised, name: _value(kind, value, revised.get(name))}
        try:
            revised = action.dump(action.parse(candidate))
        except InvalidArguments as exc:
            unheard.append(f"{_show(kind, candidate[name])} does not fit ({exc})")
            continue
        if revised.get(name) == args.get(name):
            unheard.append(f"{_label(name)} is already {_show(kind, args.get(name))}")
    if ask.softer:
        # A softer tone is a rewrite of words: the agent that drafted them does it, or it stays undone.
        unheard.append("a softer tone is a rewrite this agent did not make")
    return revised, unheard


def _is_kind(name: str, annotation: Any, kind: str) -> bool:
    types_ = _types(annotation)
    if kind == "percent":
        return "percent" in name
    if kind == "amount":
        return "percent" not in name and Decimal in types_
    if kind == "date":
        return any(isinstance(t, type) and issubclass(t, dt.date) for t in types_)
    return name == "subject"


def _types(annotation: Any) -> set[Any]:
    """The plain types an annotation allows: `Annotated[Decimal, ...] | None` -> {Decimal, NoneType}."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_types(a) for a in typing.get_args(annotation)))
    return {annotation}


def _value(kind: str, value: Any, current: Any) -> Any:
    if kind in ("percent", "amount"):
        return str(value)
    if kind == "date" and isinstance(current, str) and "T" in current:
        # A datetime keeps its time of day and offset: the comment moved the day.
        return f"{value.isoformat()}{current[current.index('T') :]}"
    if kind == "date":
        return value.isoformat()
    return value


def _changes(action: registry.ActionType, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    fields = action.Args.model_fields
    changed = []
    for name in after:
        if before.get(name) != after.get(name):
            old, new = before.get(name), after.get(name)
            if any(isinstance(v, str) and len(v) > 80 for v in (old, new)):
                changed.append(f"{_label(name)} rewritten")
                continue
            annotation = fields[name].annotation if name in fields else None
            kind = next((k for k in ("percent", "amount", "subject") if _is_kind(name, annotation, k)), "")
            changed.append(f"{_label(name)} {_show(kind, before.get(name))} → {_show(kind, after.get(name))}")
    return changed


def _label(name: str) -> str:
    return name.replace("_", " ")


def _show(kind: str, value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if kind == "amount":
        return registry.money_words(Decimal(str(value)))
    if kind == "percent":
        return f"{Decimal(str(value)).normalize():f}%"
    if kind == "subject":
        return f"“{value}”"
    return str(value)
