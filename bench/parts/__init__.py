"""The benchmark parts, by name. Each module has `KEYS` (what it can measure) and
`run(ctx, keys) -> list[Figure]` (measures only the asked keys); see bench/harness.py."""

from __future__ import annotations

from types import ModuleType

from . import console, cycle, execution, imports, memory

PARTS: dict[str, ModuleType] = {
    "cycle": cycle,
    "imports": imports,
    "memory": memory,
    "console": console,
    "execution": execution,
}


def part_of(key: str) -> str | None:
    """The part that measures `key`, or None when no part does."""
    return next((name for name, module in PARTS.items() if key in module.KEYS), None)


def all_keys() -> list[str]:
    return [key for module in PARTS.values() for key in module.KEYS]
