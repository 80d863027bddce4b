"""What every benchmark part shares: the scales, a goal and a measured figure, the part's context.

A part (`bench/parts/<name>.py`) declares the keys it can produce and computes only those asked,
each as one or more `Figure`s (several may share a key with different labels). Its samples are
the measured runs after a warm-up; the table and the JSON show their median, minimum and maximum,
and the goal is judged on the median, so that one loaded moment on a shared machine does not
decide the verdict either way.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Scale:
    name: str  # "smoke" | "standard" | "large"
    proposals: int  # console: the big size (the small size is always 100)
    memory_entries: int  # memory recall / context tokens at this many entries
    import_rows: int  # orders export rows for import_rows_per_s
    brand_factor: int  # cycle_offline_s_10x: the brand this many times the demo brand
    executions: int  # approved proposals for approve_to_effect_ms / executions_per_s
    warmup: int  # discarded runs before measuring
    repeats: int  # measured runs


SCALES = {
    "smoke": Scale(
        "smoke", proposals=300, memory_entries=2_000, import_rows=5_000, brand_factor=2, executions=20, warmup=1,
        repeats=3,
    ),
    "standard": Scale(
        "standard", proposals=100_000, memory_entries=100_000, import_rows=200_000, brand_factor=10, executions=200,
        warmup=1, repeats=5,
    ),
    "large": Scale(
        "large", proposals=100_000, memory_entries=1_000_000, import_rows=1_000_000, brand_factor=10,
        executions=1000, warmup=2, repeats=7,
    ),
}  # fmt: skip

Op = Literal["<=", "<", ">=", ">"]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda value, target: value <= target,
    "<": lambda value, target: value < target,
    ">=": lambda value, target: value >= target,
    ">": lambda value, target: value > target,
}


@dataclass(frozen=True)
class Goal:
    op: Op
    target: float
    text: str  # e.g. "p95 under 150 ms"

    def __post_init__(self) -> None:
        if self.op not in _COMPARE:
            raise ValueError(
                f"Goal {self.text!r}: unknown comparison {self.op!r}; expected one of {', '.join(_COMPARE)}"
            )
        if not math.isfinite(self.target):
            raise ValueError(f"Goal {self.text!r}: the target must be a finite number, got {self.target!r}")

    def met(self, value: float) -> bool:
        return _COMPARE[self.op](value, self.target)

    def missed_by(self, value: float) -> str:
        """ "" when met; else how far off, relative to the target ("+38% over", "12% short")."""
        if self.met(value):
            return ""
        if self.target == 0:
            return f"{value:g} against {self.op} 0"
        gap = abs(value - self.target) / abs(self.target) * 100
        # A gap that rounds to 0% is still a miss (value == target against a strict goal).
        shown = f"{gap:.0f}%" if gap >= 0.5 else f"{gap:.2g}%"
        return f"+{shown} over" if self.op in ("<=", "<") else f"{shown} short"


@dataclass
class Figure:
    key: str  # e.g. "console_p95_ms"; several figures may share a key with different `label`s
    label: str  # what exactly, e.g. "proposal list, growth approver, 100,000 proposals"
    unit: str  # "ms", "s", "rows/s", "queries", "ratio", "tokens", "per s"
    samples: list[float]  # the measured runs (after warm-up)
    goal: Goal | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable extras

    def __post_init__(self) -> None:
        if not self.samples:
            raise ValueError(f"Figure {self.key} ({self.label}): no samples")
        bad = [s for s in self.samples if not isinstance(s, int | float) or not math.isfinite(s)]
        if bad:
            raise ValueError(f"Figure {self.key} ({self.label}): samples must be finite numbers, got {bad!r}")

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples))

    @property
    def minimum(self) -> float:
        return float(min(self.samples))

    @property
    def maximum(self) -> float:
        return float(max(self.samples))

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.median)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "median": self.median,
            "min": self.minimum,
            "max": self.maximum,
            "samples": list(self.samples),
            "goal": None
            if self.goal is None
            else {"op": self.goal.op, "target": self.goal.target, "text": self.goal.text},
            "met": self.met,
            "missed_by": self.goal.missed_by(self.median) if self.goal else "",
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        goal = data.get("goal")
        return cls(
            key=data["key"],
            label=data["label"],
            unit=data["unit"],
            samples=[float(s) for s in data["samples"]],
            goal=Goal(goal["op"], float(goal["target"]), goal["text"]) if goal else None,
            detail=data.get("detail") or {},
        )


@dataclass
class BenchContext:
    scale: Scale
    database_url: str  # the part's own freshly migrated database; django's default connection already points at it
    redis_url: str | None  # REDIS_URL from the environment, or None
    workdir: Path  # a scratch folder for this part (files, logs), removed afterwards
    log: Callable[[str], None]  # progress lines on stderr


def repeat(ctx: BenchContext, fn: Callable[[], float | None]) -> list[float]:
    """Run fn ctx.scale.warmup times (discarded), then ctx.scale.repeats times; a run returning None
    is timed by its wall clock in seconds, otherwise its returned number is the sample."""
    samples: list[float] = []
    for number in range(ctx.scale.warmup + ctx.scale.repeats):
        started = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - started
        if number >= ctx.scale.warmup:
            samples.append(elapsed if value is None else float(value))
    return samples


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (p95 of 20 timings is the 19th smallest): no interpolation."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])
