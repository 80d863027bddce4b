"""Every model change comes with its migration: a fresh clone migrates to exactly these models."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"missing migrations (exit {exc.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_database_built_before_the_runtime_move_keeps_its_rows_and_its_morning_schedule():
    """The agents' machinery moved to agents.runtime: a database migrated before the move keeps its
    rows, and its stored schedules point at the new task paths (django-q2 imports them by name)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    django_q_leaf = next(node for node in executor.loader.graph.leaf_nodes() if node[0] == "django_q")
    before = [("agents", "0003_cycle_phase_run_warnings"), django_q_leaf]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    schedule = old_apps.get_model("django_q", "Schedule")
    agent = old_apps.get_model("agents", "Agent")
    schedule.objects.create(name="atlas: morning cycle", func="agents.tasks.scheduled_cycle", schedule_type="D")
    schedule.objects.create(name="someone else's", func="reports.tasks.weekly", schedule_type="D")
    agent.objects.create(key="growth.retired_agent", name="Retired", kind="specialist")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django_q.models import Schedule

    from agents.models import Agent

    funcs = dict(Schedule.objects.values_list("name", "func"))
    assert funcs["atlas: morning cycle"] == "agents.runtime.schedules.scheduled_cycle"
    assert funcs["someone else's"] == "reports.tasks.weekly"
    assert Agent.objects.filter(key="growth.retired_agent").exists()
