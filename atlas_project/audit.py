"""Who is acting: the actor that every history row and every audit record names.

A request has a user (simple-history's middleware picks it up). A background task has none, so
services that run on behalf of an agent or the policy wrap their work in `acting_as(...)`; the
history receiver below stamps every historical row written inside with that actor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest


@dataclass(frozen=True)
class Actor:
    """An actor in words ("user:alice", "agent:growth.paid_media#12", "policy", "system")."""

    label: str
    user: User | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(label=f"user:{user.get_username()}", user=user)

    @classmethod
    def for_agent_run(cls, agent_key: str, run_id: int | None) -> Actor:
        suffix = f"#{run_id}" if run_id is not None else ""
        return cls(label=f"agent:{agent_key}{suffix}")


SYSTEM = Actor(label="system")
POLICY = Actor(label="policy")

_current_actor: ContextVar[Actor | None] = ContextVar("atlas_current_actor", default=None)


def current_actor() -> Actor | None:
    return _current_actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


class AuditedHistoryFields(models.Model):
    """Extra columns on every historical table: the actor in words, for agent and policy rows."""

    history_actor = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


def _history_user(instance: Any = None, request: HttpRequest | None = None, **kwargs: Any) -> User | None:
    actor = _current_actor.get()
    if actor is not None and actor.user is not None:
        return actor.user
    if request is not None and getattr(request, "user", None) is not None and request.user.is_authenticated:
        return request.user
    return getattr(instance, "_history_user", None)


def audited_history(**kwargs: Any) -> HistoricalRecords:
    """The HistoricalRecords every Atlas model uses: actor column, no free-form user lookups."""
    kwargs.setdefault("bases", [AuditedHistoryFields])
    kwargs.setdefault("get_user", _history_user)
    return HistoricalRecords(**kwargs)


def _actor_label(user: Any) -> str:
    actor = _current_actor.get()
    if actor is not None:
        return actor.label
    if user is not None:
        return f"user:{user.get_username()}"
    return SYSTEM.label


def stamp_history_actor(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """Receiver for simple-history's pre_create_historical_record: audit plumbing, not domain flow."""
    if not hasattr(history_instance, "history_actor"):
        return
    history_instance.history_actor = _actor_label(getattr(history_instance, "history_user", None))


HISTORY_BATCH = 500


def history_write(
    instances: Iterable[models.Model],
    *,
    reason: str = "",
    created: bool = False,
    refresh: bool = True,
    at: dt.datetime | None = None,
) -> None:
    """History rows for writes simple-history cannot see: a conditional `filter(...).update(...)`
    (race-safe transitions) or a `bulk_create`.

    The one way to write them, so that every such row names the same actor as a row written by
    `save()` (the acting actor, else the request's user, else "system"). `refresh` reloads each
    instance first, so the row holds what the update stored, not the caller's stale copy; pass
    False when the caller mirrored the update on the instances itself. All instances are of one
    model. A `reason` longer than the column is cut, never refused: the state change stands.
    `at` dates every row alike (an import's rows all belong to its start); default now.
    """
    instances = list(instances)
    if not instances:
        return
    if refresh and not created:
        for instance in instances:
            instance.refresh_from_db()
    request = getattr(HistoricalRecords.context, "request", None)
    user = _history_user(request=request)
    type(instances[0]).history.bulk_history_create(  # type: ignore[attr-defined]
        instances,
        update=not created,
        default_user=user,
        default_change_reason=reason[:100],
        default_date=at,
        custom_historical_attrs={"history_actor": _actor_label(user)},
        batch_size=HISTORY_BATCH,
    )
