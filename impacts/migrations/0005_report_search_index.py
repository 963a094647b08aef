"""A GIN index for full-text search of the public title and text, on PostgreSQL only.

The indexed expression must be exactly the one impacts.filters.search_document() builds, or the
planner will not use the index (it matches expressions, not meanings). SQLite has no GIN indexes
and searches with LIKE instead, so nothing happens there.
"""

from django.db import migrations

INDEX_NAME = "report_search_document"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON impacts_impactreport USING GIN "
    "(to_tsvector('simple'::regconfig, COALESCE(public_title, '') || ' ' || COALESCE(public_description, '')))"
)
DROP = f"DROP INDEX IF EXISTS {INDEX_NAME}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("impacts", "0004_public_list_indexes"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
