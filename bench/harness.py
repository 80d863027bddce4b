"""The benchmark harness's shared pieces (issue 16): scales, goals, figures and the repeat loop.

Minimal version for the console part; the full harness (the `atlas_bench` command) keeps this contract.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Scale:
    name: str
    proposals: int
    memory_entries: int
    import_rows: int
    brand_factor: int
    executions: int
    warmup: int
    repeats: int


SCALES = {
    "smoke": Scale(
        "smoke",
        proposals=300,
        memory_entries=2_000,
        import_rows=5_000,
        brand_factor=2,
        executions=20,
        warmup=1,
        repeats=3,
    ),
    "standard": Scale(
        "standard",
        proposals=100_000,
        memory_entries=100_000,
        import_rows=200_000,
        brand_factor=10,
        executions=200,
        warmup=1,
        repeats=5,
    ),
    "large": Scale(
        "large",
        proposals=100_000,
        memory_entries=1_000_000,
        import_rows=1_000_000,
        brand_factor=10,
        executions=1000,
        warmup=2,
        repeats=7,
    ),
}


@dataclass(frozen=True)
class Goal:
    op: Literal["<=", "<", ">=", ">"]
    target: float
    text: str

    def met(self, value: float) -> bool:
        return {
            "<=": value <= self.target,
            "<": value < self.target,
            ">=": value >= self.target,
            ">": value > self.target,
        }[self.op]

    def missed_by(self, value: float) -> str:
        if self.met(value):
            return ""
        if not self.target:
            return f"{value:g} against {self.target:g}"
        share = abs(value - self.target) / abs(self.target)
        return f"+{share:.0%} over" if self.op in ("<=", "<") else f"{share:.0%} short"


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    samples: list[float]
    goal: Goal | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def maximum(self) -> float:
        return max(self.samples)

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.median)


@dataclass
class BenchContext:
    scale: Scale
    database_url: str
    redis_url: str | None
    workdir: Path
    log: Callable[[str], None]


def repeat(ctx: BenchContext, fn: Callable[[], float | None]) -> list[float]:
    """Run fn ctx.scale.warmup times (discarded), then ctx.scale.repeats times; a run returning None
    is timed by its wall clock in seconds, otherwise its returned number is the sample."""
    for _ in range(ctx.scale.warmup):
        fn()
    samples: list[float] = []
    for _ in range(ctx.scale.repeats):
        started = time.perf_counter()
        value = fn()
        samples.append(time.perf_counter() - started if value is None else float(value))
    return samples
