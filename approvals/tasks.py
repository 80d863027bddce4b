"""django-q2 task entry points: each fetches by id (or nothing) and calls a service.

Schedules (created by the orchestrator's `atlas_schedules` command):
- `approvals.tasks.executions_sweep`  every minute: expired claims, due retries, never-started approvals;
- `approvals.tasks.proposals_expire`  every few minutes: pending proposals past their expiry.
"""

from __future__ import annotations

from . import executor, services

SCHEDULED_TASKS = {
    "approvals.tasks.executions_sweep": "every minute",
    "approvals.tasks.proposals_expire": "every 5 minutes",
}


def execute_proposal(proposal_id: int) -> int | None:
    execution = executor.proposal_execute(proposal_id=proposal_id)
    return execution.pk if execution is not None else None


def executions_sweep() -> int:
    return executor.executions_sweep()


def proposals_expire() -> int:
    return services.proposals_expire()
