"""Execution rows are append-only (issue 15 §9): not through the app, not through the admin, and on
PostgreSQL not even by a raw UPDATE or DELETE (a trigger, migration approvals 0004)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from approvals.models import AppendOnlyError, Execution
from approvals.services import proposal_approve

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def execution(campaign, growth_approver, committed):
    proposal = committed(proposal_approve, proposal=budget_proposal(campaign), user=growth_approver)
    return Execution.objects.get(proposal=proposal)


def test_the_app_cannot_change_or_delete_an_execution(execution):
    execution.error = "rewritten"
    for attempt in (
        execution.save,
        execution.delete,
        lambda: Execution.objects.filter(pk=execution.pk).update(ok=False),
        lambda: Execution.objects.filter(pk=execution.pk).delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert Execution.objects.get(pk=execution.pk).error == ""


def test_the_admin_shows_an_execution_and_changes_nothing(client, owner, execution):
    client.force_login(owner)
    change = reverse("admin:approvals_execution_change", args=[execution.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change, {"error": "rewritten", "ok": "on"}).status_code == 403
    delete = reverse("admin:approvals_execution_delete", args=[execution.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:approvals_execution_changelist"))
    assert "delete_selected" not in changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    assert client.get(reverse("admin:approvals_execution_add")).status_code == 403
    execution.refresh_from_db()
    assert execution.error == "" and execution.ok is True


def test_the_migration_adds_the_trigger_on_postgresql_only():
    # SQLite's flush empties tables with DELETE: a trigger there would break transactional tests.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'approvals_execution_append_only'")
            assert cursor.fetchone()[0] == 1
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'approvals_execution'"
            )
            assert cursor.fetchone()[0] == 0


@pytest.mark.postgres
def test_on_postgresql_not_even_raw_sql_changes_or_deletes_an_execution(execution):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'approvals_execution_append_only' AND NOT tgisinternal"
        )
        assert cursor.fetchone()[0] == 1
    for statement in (
        "UPDATE approvals_execution SET error = 'rewritten' WHERE id = %s",
        "UPDATE approvals_execution SET ok = false WHERE id = %s",
        "DELETE FROM approvals_execution WHERE id = %s",
    ):
        # Each refusal in its own savepoint, so the test's transaction carries on after it.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [execution.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT error, ok FROM approvals_execution WHERE id = %s", [execution.pk])
        assert cursor.fetchone() == ("", True)
