"""The schedules: the morning cycle at the brand's hour in the brand's time zone, the sweepers."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django_q.models import Schedule

from agents.runtime.schedules import MORNING_CYCLE, ensure_schedules, next_morning
from brand.selectors import brand_profile

NEW_YORK = ZoneInfo("America/New_York")


def brand_in_new_york(hour: int = 7):
    profile = brand_profile()
    profile.timezone, profile.morning_hour = "America/New_York", hour
    profile.save()
    return profile


def test_the_morning_cycle_is_at_the_brands_hour_across_daylight_saving(db):
    brand_in_new_york(7)
    # The evening before the spring change (2025-03-09 02:00 local): the next morning is 07:00 EDT.
    before = dt.datetime(2025, 3, 8, 20, 0, tzinfo=NEW_YORK)
    morning = next_morning(before)
    assert morning.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2025, 3, 9, 7, 0)
    assert morning.astimezone(dt.UTC).hour == 11
    # A day earlier the same local hour was 12:00 UTC: a fixed 24 h interval would drift an hour.
    assert next_morning(before - dt.timedelta(days=1)).astimezone(dt.UTC).hour == 12
    # Past the hour, it is tomorrow's.
    assert next_morning(dt.datetime(2025, 3, 10, 7, 0, tzinfo=NEW_YORK)).day == 11


def test_ensure_schedules_is_idempotent_and_follows_the_brands_hour(db):
    brand_in_new_york(7)
    ensure_schedules()
    ensure_schedules()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert names == {
        MORNING_CYCLE,
        "approvals: executions sweep",
        "approvals: expire proposals",
        "orchestrator: morning digest",
        "agents: prune LLM prompts",
        "agents: release abandoned LLM reservations",
        "agents: outcome checks",
    }
    morning = Schedule.objects.get(name=MORNING_CYCLE)
    assert (morning.func, morning.schedule_type) == ("agents.runtime.schedules.scheduled_cycle", Schedule.DAILY)
    assert morning.next_run.astimezone(NEW_YORK).hour == 7
    sweep = Schedule.objects.get(name="approvals: executions sweep")
    assert (sweep.func, sweep.schedule_type, sweep.minutes) == ("approvals.tasks.executions_sweep", "I", 1)

    brand_in_new_york(9)
    out = io.StringIO()
    call_command("atlas_schedules", "--json", stdout=out)
    listed = {s["name"]: s for s in json.loads(out.getvalue())}
    assert dt.datetime.fromisoformat(listed[MORNING_CYCLE]["next_run"]).astimezone(NEW_YORK).hour == 9
    assert Schedule.objects.count() == 7


def test_a_fresh_process_knows_every_schedule_atlas_registers():
    """`atlas_schedules` runs in a new process: the digest's schedule must be registered there too."""
    import subprocess
    import sys

    code = "import django; django.setup(); from agents.runtime.schedules import recurring; print(sorted(recurring()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    ).stdout
    assert "orchestrator: morning digest" in out
    assert "approvals: executions sweep" in out
    assert "approvals: expire proposals" in out
