"""Indexes for keyset pages (impacts.keyset) and the per-project counts of the project page.

Each keyset list reads its next page as one range of an index whose columns are the list's order
ending with the id (``WHERE status = 'published' AND (a, b, id) < (…) ORDER BY a, b, id LIMIT 21``):
- "newest"/"oldest": ``report_status_observed`` (status, observed_on, id) from 0004 already serves;
- "most serious first": (status, severity, observed_on, id); 0004's index stops at observed_on,
  which leaves PostgreSQL to sort every row of one severity to find the next 21;
- a project's reports (the project filter, the project page's latest reports and its counts):
  (project, status, observed_on, id), instead of the project's foreign-key index plus a sort.

Plain SQL that both PostgreSQL and SQLite understand, so that the model's declared indexes (and
`makemigrations`) stay as they are: these serve query shapes, not fields.
"""

from django.db import migrations

TABLE = "impacts_impactreport"
INDEXES = {
    "report_status_severity_keyset": "(status, severity DESC, observed_on DESC, id DESC)",
    "report_project_status_keyset": "(project_id, status, observed_on DESC, id DESC)",
}


class Migration(migrations.Migration):
    dependencies = [("impacts", "0012_evidence_fingerprints")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {columns}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
