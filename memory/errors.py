"""The errors the memory raises: each names the field (or the rule) and the value that broke it."""

from __future__ import annotations


class AtlasMemoryError(Exception):
    """Base of every memory error (Python's own `MemoryError` is about RAM, hence the prefix)."""


class InvalidMemory(AtlasMemoryError, ValueError):
    """Bad input to a memory service; nothing was written."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"{field}={shown}: {problem}")


class NotPermitted(AtlasMemoryError, PermissionError):
    """A person tried to write or resolve something their division role does not allow."""


class ConflictAlreadyResolved(AtlasMemoryError):
    """The conflict was resolved by someone else first (or before)."""
