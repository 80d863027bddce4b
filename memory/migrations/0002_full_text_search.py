"""Full-text search for recall, one structure per database (see memory/search.py).

PostgreSQL: a stored generated tsvector column with a GIN index. It is not a model field: a
GeneratedField with a SearchVector expression would not exist on SQLite, and only memory/search.py
reads it.

SQLite: an FTS5 table with external content (the memory table itself) kept in step by triggers.
Caution for later migrations: when Django alters memory_memoryentry on SQLite it rebuilds the table,
which drops these triggers; such a migration must re-create them (call `sqlite_forwards` again).
tests/memory/test_search_backends.py fails if the triggers are missing.
"""

from django.db import migrations

SQLITE_FORWARDS = [
    """
    CREATE VIRTUAL TABLE memory_memoryentry_fts USING fts5(
        key, subject, text, content='memory_memoryentry', content_rowid='id', tokenize='porter unicode61'
    )
    """,
    """
    CREATE TRIGGER memory_memoryentry_fts_ai AFTER INSERT ON memory_memoryentry BEGIN
        INSERT INTO memory_memoryentry_fts(rowid, key, subject, text)
        VALUES (new.id, new.key, new.subject, new.text);
    END
    """,
    """
    CREATE TRIGGER memory_memoryentry_fts_ad AFTER DELETE ON memory_memoryentry BEGIN
        INSERT INTO memory_memoryentry_fts(memory_memoryentry_fts, rowid, key, subject, text)
        VALUES ('delete', old.id, old.key, old.subject, old.text);
    END
    """,
    """
    CREATE TRIGGER memory_memoryentry_fts_au AFTER UPDATE OF key, subject, text ON memory_memoryentry BEGIN
        INSERT INTO memory_memoryentry_fts(memory_memoryentry_fts, rowid, key, subject, text)
        VALUES ('delete', old.id, old.key, old.subject, old.text);
        INSERT INTO memory_memoryentry_fts(rowid, key, subject, text)
        VALUES (new.id, new.key, new.subject, new.text);
    END
    """,
    "INSERT INTO memory_memoryentry_fts(memory_memoryentry_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS memory_memoryentry_fts_au",
    "DROP TRIGGER IF EXISTS memory_memoryentry_fts_ad",
    "DROP TRIGGER IF EXISTS memory_memoryentry_fts_ai",
    "DROP TABLE IF EXISTS memory_memoryentry_fts",
]

# The key's separators become spaces so that sku:HP-104:days_of_cover is found by "days of cover"
# and by "HP-104". Weights: key A, subject B, text C.
POSTGRESQL_FORWARDS = [
    """
    ALTER TABLE memory_memoryentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, translate(coalesce(key, ''), ':_.-', '    ')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(subject, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(text, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX memory_memoryentry_search_gin ON memory_memoryentry USING gin (search_vector)",
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX IF EXISTS memory_memoryentry_search_gin",
    "ALTER TABLE memory_memoryentry DROP COLUMN IF EXISTS search_vector",
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_FORWARDS, "postgresql": POSTGRESQL_FORWARDS})


def backwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BACKWARDS, "postgresql": POSTGRESQL_BACKWARDS})


class Migration(migrations.Migration):
    dependencies = [("memory", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
