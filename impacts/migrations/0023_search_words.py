"""How many published reports hold each word of the search vectors, kept by triggers (PostgreSQL).

A search for one word lists its matches by relevance when there are at most 1,000 of them, newest
first past that, and its page says "more than 1,000". Telling the two apart meant reading 1,001
matching rows on every search of a word that common (the GIN index alone cannot say whether a row
is published, nor whether it is visible): about 960 table pages and 3 ms at 100,000 reports, twice
the page's own query. ``impacts_searchword`` holds the answer per word instead (impacts.search).

Three statement-level triggers keep it: after an INSERT, UPDATE or DELETE on the report table, the
words of the published rows that statement added (its new rows) count +1 each, those of the
published rows it removed or changed (its old rows) count −1, in one upsert ordered by word, so two
transactions lock the rows they share in the same order and cannot deadlock. An UPDATE that leaves
both the status and the vector of a published report alone (most saves) changes no count. Being in
the database, the counts follow every writer: the workflow, the admin, bulk updates, migrations.
The search vector is a generated column (0008), already computed when an AFTER trigger reads it.

TRUNCATE fires none of them: Django's flush truncates this table with the others. SQLite has no
search vector (it searches with LIKE), so there the table stays empty and nothing else happens.
"""

from django.db import migrations, models

REPORTS = "impacts_impactreport"
WORDS = "impacts_searchword"
FUNCTION = "impacts_count_search_words"
PUBLISHED = "published"

# The changed rows of a statement as (vector, published before, vector now, published now).
CHANGED = {
    "INSERT": f"""
        SELECT NULL::tsvector AS old_vector, false AS was_published, search_vector AS new_vector, true AS is_published
        FROM new_rows WHERE status = '{PUBLISHED}'""",
    "UPDATE": f"""
        SELECT earlier.search_vector, earlier.status = '{PUBLISHED}', later.search_vector, later.status = '{PUBLISHED}'
        FROM old_rows AS earlier JOIN new_rows AS later USING (id)
        WHERE (earlier.status = '{PUBLISHED}' OR later.status = '{PUBLISHED}')
          AND (earlier.status IS DISTINCT FROM later.status OR earlier.search_vector IS DISTINCT FROM later.search_vector)""",
    "DELETE": f"""
        SELECT search_vector, true, NULL::tsvector, false FROM old_rows WHERE status = '{PUBLISHED}'""",
}


def _count(changed: str) -> str:
    return f"""
        WITH changed (old_vector, was_published, new_vector, is_published) AS ({changed})
        INSERT INTO {WORDS} AS word (lexeme, reports)
        SELECT lexeme, sum(change) FROM (
            SELECT unnest(tsvector_to_array(new_vector)) AS lexeme, 1 AS change FROM changed WHERE is_published
            UNION ALL
            SELECT unnest(tsvector_to_array(old_vector)), -1 FROM changed WHERE was_published
        ) AS changes
        GROUP BY lexeme HAVING sum(change) <> 0
        ORDER BY lexeme
        ON CONFLICT (lexeme) DO UPDATE SET reports = word.reports + EXCLUDED.reports;"""


CREATE_FUNCTION = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_count(CHANGED["INSERT"])}
    ELSIF TG_OP = 'UPDATE' THEN {_count(CHANGED["UPDATE"])}
    ELSE {_count(CHANGED["DELETE"])}
    END IF;
    RETURN NULL;
END
$$"""

TRANSITION_TABLES = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
CREATE_TRIGGERS = [
    f"CREATE TRIGGER {FUNCTION}_{event.lower()} AFTER {event} ON {REPORTS} REFERENCING {tables} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    for event, tables in TRANSITION_TABLES.items()
]
DROP_TRIGGERS = [f"DROP TRIGGER IF EXISTS {FUNCTION}_{event.lower()} ON {REPORTS}" for event in TRANSITION_TABLES]

# The reports published before the triggers existed. In the migration's transaction, after the
# triggers: the lock CREATE TRIGGER takes holds every other writer until both are committed.
COUNT_EXISTING = f"""
INSERT INTO {WORDS} (lexeme, reports)
SELECT lexeme, count(*) FROM {REPORTS}, unnest(tsvector_to_array(search_vector)) AS lexeme
WHERE status = '{PUBLISHED}' GROUP BY lexeme"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)
        for statement in CREATE_TRIGGERS:
            schema_editor.execute(statement)
        schema_editor.execute(COUNT_EXISTING)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP_TRIGGERS:
            schema_editor.execute(statement)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("impacts", "0022_search_vector_inline"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("lexeme", models.TextField(primary_key=True, serialize=False)),
                ("reports", models.IntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
