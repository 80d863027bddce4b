"""The outcome checks as django-q2 tasks: on a schedule, and after each import of brand data."""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from agents.outcomes.services import outcomes_run_due


def run_due_outcomes() -> str:
    run = outcomes_run_due()
    return f"{run.checked} checked, {len(run.written)} judged, {len(run.too_early)} too early, {len(run.failed)} failed"


def queue_outcome_checks(**kwargs: object) -> None:
    """After an import the data the checks wait for may be there: check now rather than at the next tick
    (queued once the import's transaction, if the caller holds one, has committed)."""
    transaction.on_commit(lambda: async_task(run_due_outcomes))
