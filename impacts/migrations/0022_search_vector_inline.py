"""Keep each report's search vector inside its table row (PostgreSQL's MAIN storage), not in TOAST.

A row over about 2 KB is shortened by moving its largest values to the TOAST table, and the search
vector (about 1.2 KB for a report of a few paragraphs: every word twice, with positions) is usually
the largest. A broad-word search lists the newest matches by walking the date index and testing
each row's vector, so for a moved vector every row tested cost a TOAST index lookup and a chunk
read besides the row itself. At 100,000 reports 43% of the vectors had moved, and the first page of
a word in 2% of reports read 2,912 buffers in 2.1–2.4 ms; with the vectors in their rows (texts
move first, and a vector is compressed before it ever moves out), 1,297 buffers in 0.7 ms (issue 16).

Storage applies to values written from now on: existing rows keep their place until next updated.
Nothing happens on SQLite, which has no vector column (see 0008).
"""

from django.db import migrations

TABLE = "impacts_impactreport"
COLUMN = "search_vector"


def _set_storage(kind: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} SET STORAGE {kind}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("impacts", "0021_filter_indexes"),
    ]

    operations = [migrations.RunPython(_set_storage("MAIN"), _set_storage("EXTENDED"), elidable=False)]
