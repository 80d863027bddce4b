"""System checks that catch a misconfigured deployment before it runs an agent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.compatibility)
def check_q_cluster(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """django-q2 re-delivers a task after `retry` seconds; with retry <= timeout a slow agent run
    would be started a second time while the first is still working."""
    conf = getattr(settings, "Q_CLUSTER", {}) or {}
    timeout, retry = conf.get("timeout"), conf.get("retry")
    errors: list[Error] = []
    if timeout is None:
        errors.append(
            Error(
                "Q_CLUSTER has no 'timeout': a stuck agent run would hold a worker forever.",
                hint="Set Q_TIMEOUT.",
                id="atlas.E001",
            )
        )
    elif retry is None or retry <= timeout:
        errors.append(
            Error(
                f"Q_CLUSTER 'retry' ({retry}) must be larger than 'timeout' ({timeout}).",
                hint="Set Q_RETRY larger than Q_TIMEOUT, or a slow task runs twice.",
                id="atlas.E002",
            )
        )
    if conf.get("catch_up", True):
        errors.append(
            Error("Q_CLUSTER 'catch_up' must be off: a missed morning must not replay days of cycles.", id="atlas.E003")
        )
    return errors


@register(Tags.compatibility)
def check_llm_timeout(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """One LLM call, with all its retries, must finish inside the task timeout."""
    timeout = getattr(settings, "Q_CLUSTER", {}).get("timeout") or 0
    worst = settings.ATLAS_LLM_TIMEOUT * (settings.ATLAS_LLM_MAX_RETRIES + 1)
    if timeout and worst >= timeout:
        return [
            Warning(
                f"ATLAS_LLM_TIMEOUT x (ATLAS_LLM_MAX_RETRIES + 1) = {worst}s is not below Q_TIMEOUT={timeout}s.",
                hint="Lower the LLM timeout or retries, or raise Q_TIMEOUT (and Q_RETRY).",
                id="atlas.W001",
            )
        ]
    return []


@register(Tags.database)
def check_bulk_insert_returns_ids(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Error]:
    """Memory batches and briefings are bulk inserts whose new ids are used at once (as evidence,
    as links): the database must hand them back, which SQLite does from 3.35 on."""
    from django.db import connections

    errors: list[Error] = []
    for alias in databases or ():
        connection = connections[alias]
        if not connection.features.can_return_rows_from_bulk_insert:
            errors.append(
                Error(
                    f"Database {alias!r} ({connection.vendor}) does not return ids from bulk inserts.",
                    hint="Use PostgreSQL, or SQLite 3.35 or newer.",
                    id="atlas.E004",
                )
            )
    return errors
