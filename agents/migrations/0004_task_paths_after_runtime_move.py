"""The agents' machinery moved to `agents.runtime`: point stored django-q2 schedules at the new paths.

django-q2 imports a schedule's task by its dotted name, so a database built before the move would
otherwise fail its morning cycle until `atlas_schedules` ran again.
"""

from django.db import migrations

MOVED = {
    "agents.tasks.scheduled_cycle": "agents.runtime.schedules.scheduled_cycle",
    "agents.tasks.start_cycle": "agents.runtime.tasks.start_cycle",
    "agents.tasks.run_agent": "agents.runtime.tasks.run_agent",
    "agents.tasks.run_agents": "agents.runtime.tasks.run_agents",
}


def forwards(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    for old, new in MOVED.items():
        schedule.objects.filter(func=old).update(func=new)


def backwards(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    for old, new in MOVED.items():
        schedule.objects.filter(func=new).update(func=old)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_cycle_phase_run_warnings"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
