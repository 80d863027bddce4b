"""The django-q2 schedules Atlas needs: the morning cycle in brand time, and the ones other apps register.

Recurring tasks are registered with the function itself (`register_schedule`, from
`AgentsConfig.ready`: the approvals sweepers and the orchestrator's digest), never as the side
effect of importing a module. `ensure_schedules()` is idempotent (`manage.py atlas_schedules`,
`make demo`). The morning cycle is a DAILY schedule anchored on the brand's morning hour in the
brand's time zone; django-q2 adds 24 hours
of UTC after each run, so the task re-anchors it (`scheduled_cycle` calls
`ensure_schedules()`), which keeps the hour right across daylight-saving changes and after the
brand's morning hour or time zone is edited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.runtime.tasks import start_cycle

MORNING_CYCLE = "atlas: morning cycle"


@dataclass(frozen=True)
class Recurring:
    name: str
    func: str
    minutes: int
    args: str = ""


_recurring: dict[str, Recurring] = {}


def task_path(func: Callable[..., Any]) -> str:
    """The dotted name django-q2 stores for a task function (it imports it by that name)."""
    if "<" in func.__qualname__:
        raise ValueError(f"{func!r} is not a module-level function; django-q2 cannot import it by name.")
    return f"{func.__module__}.{func.__qualname__}"


def register_schedule(name: str, func: Callable[..., Any], *, minutes: int, args: str = "") -> None:
    """Add a task that runs every `minutes` (approvals' sweepers, the digest, ...); called from `ready()`."""
    if minutes < 1:
        raise ValueError(f"schedule {name!r}: minutes must be at least 1")
    _recurring[name] = Recurring(name=name, func=task_path(func), minutes=minutes, args=args)


def recurring() -> dict[str, Recurring]:
    """The registered recurring schedules, by name."""
    return dict(_recurring)


def scheduled_cycle() -> str:
    """The morning cycle's task; then re-anchor the schedule on the brand's morning hour (DST, a changed hour)."""
    try:
        return start_cycle(trigger="schedule")
    finally:
        ensure_schedules()


def next_morning(now: dt.datetime | None = None) -> dt.datetime:
    """The next brand-time morning hour after `now`, as an aware datetime."""
    from brand.clock import brand_tz
    from brand.selectors import brand_profile

    profile = brand_profile()
    tz = brand_tz(profile)
    local = (now or timezone.now()).astimezone(tz)
    day = local.date()
    candidate = dt.datetime.combine(day, dt.time(profile.morning_hour), tzinfo=tz)
    if candidate <= local:
        candidate = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(profile.morning_hour), tzinfo=tz)
    return candidate


@transaction.atomic
def ensure_schedules(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Create or update every Atlas schedule; returns them as dicts (name, func, next_run, repeats)."""
    from django_q.models import Schedule

    morning = next_morning(now)
    Schedule.objects.update_or_create(
        name=MORNING_CYCLE,
        defaults={
            "func": task_path(scheduled_cycle),
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "next_run": morning,
        },
    )
    for item in _recurring.values():
        schedule = Schedule.objects.filter(name=item.name).first()
        fields = {
            "func": item.func,
            "args": item.args or None,
            "schedule_type": Schedule.MINUTES,
            "minutes": item.minutes,
            "repeats": -1,
        }
        if schedule is None:
            Schedule.objects.create(name=item.name, next_run=now or timezone.now(), **fields)
        elif any(getattr(schedule, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(schedule, k, v)
            schedule.save()
    names = [MORNING_CYCLE, *_recurring]
    return [
        {"name": s.name, "func": s.func, "next_run": s.next_run.isoformat(), "type": s.schedule_type}
        for s in Schedule.objects.filter(name__in=names).order_by("name")
    ]
