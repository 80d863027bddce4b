"""Answers that hold for one request: who may do what, the brand's profile.

A console page asks "is this person an owner?" or "what is the brand's currency?" once per row and
per widget; the answer cannot change while the page renders, and asking the database each time made
the query count grow with the rows shown. `RequestCacheMiddleware` opens a scope per request;
outside a request (tasks, commands, tests calling services) `per_request` computes every time, so a
long-running process never reads a stale answer.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_store: ContextVar[dict[Hashable, Any] | None] = ContextVar("atlas_request_cache", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Answers computed inside are kept until the scope ends."""
    token = _store.set({})
    try:
        yield
    finally:
        _store.reset(token)


def per_request(key: Hashable, compute: Callable[[], T]) -> T:
    """The answer for `key` in this request, computed once; outside a request, computed every time."""
    store = _store.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    value: T = store[key]
    return value


def forget(key: Hashable) -> None:
    """Drop one kept answer (a write inside the request changed it)."""
    store = _store.get()
    if store is not None:
        store.pop(key, None)
