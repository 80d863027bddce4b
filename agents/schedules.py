"""The django-q2 schedules Atlas needs: the morning cycle in brand time, and the ones other apps register.

`ensure_schedules()` is idempotent (`manage.py atlas_schedules`, `make demo`). The morning cycle is a
DAILY schedule anchored on the brand's morning hour in the brand's time zone; django-q2 adds 24 hours
of UTC after each run, so the task re-anchors it (`agents.tasks.scheduled_cycle` calls
`ensure_schedules()`), which keeps the hour right across daylight-saving changes and after the
brand's morning hour or time zone is edited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

MORNING_CYCLE = "atlas: morning cycle"


@dataclass(frozen=True)
class Recurring:
    name: str
    func: str
    minutes: int
    args: str = ""


_recurring: dict[str, Recurring] = {}


def register_schedule(name: str, func: str, *, minutes: int, args: str = "") -> None:
    """Other apps add a task that runs every `minutes` (approvals' sweepers, the digest, ...)."""
    if minutes < 1:
        raise ValueError(f"schedule {name!r}: minutes must be at least 1")
    _recurring[name] = Recurring(name=name, func=func, minutes=minutes, args=args)


# The approvals sweepers (their tasks module names them): approved work whose execution never
# started or whose claim expired, and pending proposals past their expiry.
register_schedule("approvals: executions sweep", "approvals.tasks.executions_sweep", minutes=1)
register_schedule("approvals: expire proposals", "approvals.tasks.proposals_expire", minutes=5)


def next_morning(now: dt.datetime | None = None) -> dt.datetime:
    """The next brand-time morning hour after `now`, as an aware datetime."""
    from brand.selectors import brand_profile, brand_timezone

    profile = brand_profile()
    tz = brand_timezone(profile)
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

    from agents import registry

    # Apps register their schedules when their modules load (the orchestrator's digest); in a
    # fresh process nothing has imported them yet.
    registry.autodiscover()
    morning = next_morning(now)
    Schedule.objects.update_or_create(
        name=MORNING_CYCLE,
        defaults={
            "func": "agents.tasks.scheduled_cycle",
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
