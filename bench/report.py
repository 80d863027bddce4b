"""The benchmark's table (plain text for a terminal, markdown for the README) and its JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .harness import Figure

COLUMNS = ("key", "what", "median", "min", "max", "goal", "verdict")


@dataclass
class PartOutcome:
    name: str
    keys: list[str]
    figures: list[Figure] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    database: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def number(value: float, unit: str) -> str:
    """A figure's value as people read it: whole rows and tokens, milliseconds to a tenth."""
    if unit in ("rows/s", "tokens", "queries", "rows", "per s") and abs(value) >= 100:
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"


def _with_unit(value: float, unit: str) -> str:
    text = number(value, unit)
    return text if unit == "ratio" else f"{text} {unit}"


def rows(outcomes: Sequence[PartOutcome]) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for outcome in outcomes:
        for figure in outcome.figures:
            goal = figure.goal.text if figure.goal else ""
            if figure.met is None:
                verdict = ""
            elif figure.met:
                verdict = "met"
            else:
                verdict = "missed by " + figure.goal.missed_by(figure.median) if figure.goal else ""
            table.append(
                (
                    figure.key,
                    figure.label,
                    _with_unit(figure.median, figure.unit),
                    number(figure.minimum, figure.unit),
                    number(figure.maximum, figure.unit),
                    goal,
                    verdict,
                )
            )
        if outcome.failed:
            error = (outcome.error or "").splitlines()[0] if outcome.error else ""
            table.extend(
                (key, f"part {outcome.name} failed", "", "", "", "", f"FAILED: {error}") for key in outcome.keys
            )
    return table


def text_table(outcomes: Sequence[PartOutcome]) -> str:
    table = [COLUMNS, *rows(outcomes)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(outcomes: Sequence[PartOutcome]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows(outcomes):
        first, *rest = row
        lines.append("| " + " | ".join([f"`{first}`", *(cell(c) for c in rest)]) + " |")
    return "\n".join(lines)
