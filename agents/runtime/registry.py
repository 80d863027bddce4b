"""The agent registry: agents are classes in code, mirrored to one `Agent` row each.

    @register
    class PaidMedia(Specialist):
        key = "growth.paid_media"
        ...

`autodiscover()` imports every installed app's `directors`, `specialists` and `orchestrator` modules
(`django.utils.module_loading.autodiscover_modules`, as the admin finds `admin` modules: for Atlas,
`agents.directors`, `agents.specialists` and `agents.orchestrator`); `sync_agents()` mirrors the
registry to the database.
"""

from __future__ import annotations

import logging
import threading
from typing import TypeVar

from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from agents.models import Agent, AgentKind
from agents.runtime.base import BaseAgent
from agents.runtime.llm import get_provider
from divisions.models import Division

logger = logging.getLogger(__name__)

AgentT = TypeVar("AgentT", bound=type[BaseAgent])

_registry: dict[str, type[BaseAgent]] = {}
_lock = threading.Lock()
_discovered = False


class RegistryError(Exception):
    pass


def register(cls: AgentT) -> AgentT:
    """Class decorator: add an agent class to the registry (re-registering one key replaces it)."""
    if not cls.key:
        raise RegistryError(f"{cls.__name__} has no key.")
    if cls.kind not in AgentKind.values:
        raise RegistryError(f"{cls.key}: kind {cls.kind!r} is not one of {AgentKind.values}.")
    if cls.kind != AgentKind.ORCHESTRATOR and not cls.division:
        raise RegistryError(f"{cls.key}: a {cls.kind} needs a division.")
    if cls.division and not cls.key.startswith(f"{cls.division}."):
        raise RegistryError(f"{cls.key}: an agent of division {cls.division!r} has a key starting '{cls.division}.'.")
    existing = _registry.get(cls.key)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise RegistryError(
            f"{cls.key} is registered twice: {existing.__module__}.{existing.__qualname__} and "
            f"{cls.__module__}.{cls.__qualname__}."
        )
    _registry[cls.key] = cls
    return cls


def unregister(key: str) -> None:
    _registry.pop(key, None)


def autodiscover() -> None:
    """Import the modules that register agents; once per process."""
    global _discovered
    with _lock:
        if _discovered:
            return
        autodiscover_modules("directors", "specialists", "orchestrator")
        _discovered = True


def warm_up() -> None:
    """Import every agent and the configured LLM provider's client now, not inside the first run.

    Importing them costs about a second (the openai package alone); a qcluster worker does this
    when it spawns, and the in-process benchmark before its clock starts, as a worker would have.
    """
    autodiscover()
    get_provider()


def all_agents() -> dict[str, type[BaseAgent]]:
    autodiscover()
    return dict(sorted(_registry.items()))


def get(key: str) -> type[BaseAgent] | None:
    return all_agents().get(key)


def of_kind(kind: str, *, division: str | None = None) -> list[type[BaseAgent]]:
    return [c for c in all_agents().values() if c.kind == kind and (division is None or c.division == division)]


def _differs(row: Agent, field: str, value: object) -> bool:
    if field == "division":
        # Compare ids: reading row.division would load the division, a query per agent and call.
        return row.division_id != (value.pk if value is not None else None)  # type: ignore[attr-defined]
    return getattr(row, field) != value


@transaction.atomic
def sync_agents() -> dict[str, int]:
    """Mirror the registry to `Agent` rows: create missing, update code-owned fields, flag removed.

    Only what the code owns is written (name, kind, division, description); the configuration a
    person set in the admin (enabled, model, instructions, budgets, config) is left alone.
    """
    divisions = {d.slug: d for d in Division.objects.all()}
    counts = {"created": 0, "updated": 0, "gone": 0}
    # No division at all: a fresh or just-flushed database (post_migrate runs after a test's flush,
    # before anything puts the divisions back). Nothing can be synced yet, and that is not news.
    quiet = not divisions
    rows = {a.key: a for a in Agent.objects.all()}
    for key, cls in all_agents().items():
        division = divisions.get(cls.division) if cls.division else None
        if cls.division and division is None:
            log = logger.debug if quiet else logger.warning
            log("Agent %s names division %r, which does not exist; not synced.", key, cls.division)
            continue
        wanted = {
            "name": cls.name or key,
            "kind": cls.kind,
            "division": division,
            "description": cls.description,
            "in_code": True,
        }
        row = rows.get(key)
        if row is None:
            Agent.objects.create(key=key, **wanted)
            counts["created"] += 1
        elif any(_differs(row, f, v) for f, v in wanted.items()):
            for f, v in wanted.items():
                setattr(row, f, v)
            row.save()
            counts["updated"] += 1
    registered = set(all_agents())
    for key, row in rows.items():
        if key not in registered and row.in_code:
            row.in_code = False
            row.save(update_fields=["in_code"])
            counts["gone"] += 1
    return counts
