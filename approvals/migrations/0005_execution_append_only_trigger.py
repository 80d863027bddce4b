"""Execution rows are append-only in the database too, on PostgreSQL: a trigger refuses any UPDATE or
DELETE, so not even a raw statement or a psql session rewrites what was executed.

SQLite gets no trigger: the test suite's transactional tests empty tables with DELETE there, and
the app's own guards (ExecutionQuerySet, Execution.save/delete, the read-only admin) hold on both.
TRUNCATE (the PostgreSQL flush) fires no row trigger, so tests still reset the table.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION approvals_execution_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'approvals_execution is append-only: % refused on execution %', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS approvals_execution_append_only ON approvals_execution;
CREATE TRIGGER approvals_execution_append_only
    BEFORE UPDATE OR DELETE ON approvals_execution
    FOR EACH ROW EXECUTE FUNCTION approvals_execution_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS approvals_execution_append_only ON approvals_execution;
DROP FUNCTION IF EXISTS approvals_execution_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # No parameters: the function body's % placeholders belong to RAISE, not to the driver.
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0004_decision_release_and_link_decision")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
