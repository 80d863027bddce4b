"""The audit check of issue 15 §9: every history row of an audited record names its actor.

An actor is the person (`history_user`) or the actor in words that `atlas_project.audit` records
for agents, the policy and Atlas itself ("agent:...", "policy", "system"). A row naming a person
("user:alice") must carry that person too. `tests/conftest.py` runs the check after every test
that touches the database; a test that writes such rows on purpose says so with the
`history_without_actor` marker.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import Q

# The records §9 names: proposals, decisions, memberships, memory entries, brand records (and the agents).
AUDITED_APPS = ("approvals", "divisions", "memory", "brand", "agents")
SHOWN = 5


def history_models() -> list[type[models.Model]]:
    """The historical tables of the audited apps (a many-to-many change's rows hang off their parent row)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in AUDITED_APPS
        and model.__name__.startswith("Historical")
        and any(f.name == "history_actor" for f in model._meta.get_fields())
    ]


def rows_without_actor() -> list[str]:
    """The history rows that lack an actor, in words (at most a few per table)."""
    lacking = Q(history_user__isnull=True) & (Q(history_actor="") | Q(history_actor__startswith="user:"))
    found: list[str] = []
    for model in history_models():
        for row in model._default_manager.filter(lacking).order_by("history_id")[:SHOWN]:
            what = f"{row.history_actor} without its user" if row.history_actor else "no actor"
            found.append(f"{model.__name__} #{row.history_id} ({row.history_type} at {row.history_date}): {what}")
    return found
