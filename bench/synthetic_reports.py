"""Synthetic published reports for the benchmark: realistic enough that searches and lists work as hard
as on the real site, fast enough that 100,000 load in about a minute.

The public texts are sentences a resident might write (mostly English, with Russian and Kazakh ones
mixed in, as on the site), so that the search vectors have a realistic size and vocabulary. Two words
are placed deliberately, because the searches the benchmark runs depend on how many reports match:
- COMMON_WORD ("water") is in about 57% of the reports, like the broad word of issue 16;
- RARE_WORD ("cyanide") is in about 2%.
No other sentence contains either word or a word with the same stem.

Every report's reference starts with SYNTHETIC_PREFIX, so the benchmark can tell its own rows apart
and refuse a database that holds real ones.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

SYNTHETIC_PREFIX = "BENCH-"
COMMON_WORD = "water"
COMMON_SHARE = 0.57
RARE_WORD = "cyanide"
RARE_SHARE = 0.02
BATCH = 5000
# One report in ten goes to the first project by slug, besides its share of the others: the project
# the bench measures (the busiest) then fills its page, timeline (50 reports) and feed at 1,000
# reports as at 100,000, so their growth compares the same page. With an even share (about 30
# reports at 1,000) the project page grew from 38.6 KB to 41.8 KB, its timeline from 5.6 KB to
# 6.6 KB and its feed from 29.2 KB to 33.7 KB: growth measured the pages filling up.
MEASURED_PROJECT_EVERY = 10

SENTENCES_EN = (
    "Dust from the plant covers the roofs and the gardens every morning.",
    "At night the smell of burning plastic comes from the direction of the kiln.",
    "Trucks drive through the village at high speed and the road is broken.",
    "The chimney was smoking black for three hours after midnight.",
    "Several children at the school have a cough that does not go away.",
    "Ash from the dump is blown onto the fields when the wind is from the east.",
    "Our cattle will not graze near the fence since the spill last month.",
    "The noise of the crushers starts at five and lasts all day.",
    "Vibration from the blasting has cracked the walls of two houses.",
    "Workers say the filters on the stack have not been replaced this year.",
    "Grey sediment settles on the windows of the houses near the gate.",
    "The flare burns day and night and lights up the whole steppe.",
    "Dead birds were found near the tailings pond on Sunday.",
    "The crops near the road turned yellow in June.",
    "People in the village complain of headaches and sore eyes.",
    "A yellow cloud drifted over the settlement after the alarm sounded.",
    "The company put up a new fence but the waste is still dumped outside it.",
    "Nobody from the akimat answered our letter about the smoke.",
    "The trees along the canal are dying from the top down.",
    "Oil stains have appeared on the sand along the river bank.",
)
SENTENCES_RU = (
    "Ночью от завода идёт сильный запах, дети плохо спят.",
    "Пыль с отвалов оседает на огородах и крышах.",
    "Жители села жалуются на кашель и головную боль.",
    "Грузовики ездят по улице круглосуточно, дорога разбита.",
    "Рыба в реке погибла, берег покрыт пеной.",
    "Скот отказывается пастись у забора предприятия.",
)
SENTENCES_KK = (
    "Түнде зауыттан қатты иіс шығады, балалар ұйықтай алмайды.",
    "Үйінділерден шаң бақшалар мен шатырларға қонады.",
    "Ауыл тұрғындары жөтел мен бас ауруына шағымданады.",
    "Жүк көліктері көшеде тәулік бойы жүреді.",
)
# The common word, each time in a different sentence (Russian "вода" follows it in some).
COMMON_SENTENCES = (
    "The water from our well has turned cloudy and smells of chemicals.",
    "After the discharge the water in the canal changed colour.",
    "We no longer give the children tap water; вода пахнет химией.",
    "The irrigation water leaves a white crust on the soil.",
)
RARE_SENTENCES = (
    "People fear cyanide from the gold plant's tailings pond.",
    "A laboratory found cyanide in a sample from the stream below the plant.",
)
TITLES = (
    "Dust over the village",
    "Smell at night near the plant",
    "Trucks on the village road",
    "Black smoke from the chimney",
    "Children coughing at school",
    "Dead fish in the river",
    "Noise from the crushers",
    "Cracks in the houses after blasting",
    "Пыль над селом",
    "Түнгі иіс",
)


def public_text(rng: random.Random) -> str:
    """A resident's account: a few English sentences, sometimes Russian or Kazakh ones, and the two
    counted words in their shares of the reports."""
    sentences = rng.sample(SENTENCES_EN, rng.randint(3, 8))
    if rng.random() < 0.4:
        sentences.append(rng.choice(SENTENCES_RU))
    if rng.random() < 0.2:
        sentences.append(rng.choice(SENTENCES_KK))
    if rng.random() < COMMON_SHARE:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(COMMON_SENTENCES))
    if rng.random() < RARE_SHARE:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(RARE_SENTENCES))
    return " ".join(sentences)


def synthetic_values(number: int, rng: random.Random, projects: list, now) -> dict:
    """One published report's own values, by column; about 85% tied to a catalogue project (every
    MEASURED_PROJECT_EVERY-th to the first of `projects`), 80% with a public point."""
    from impacts.models import Category, ReporterType, Status

    project = rng.choice(projects) if projects and rng.random() < 0.85 else None
    if projects and number % MEASURED_PROJECT_EVERY == 0:
        project = projects[0]
    latitude = Decimal(f"{rng.uniform(41.0, 55.0):.2f}") if rng.random() < 0.8 else None
    return {
        "reference": f"{SYNTHETIC_PREFIX}{number:07d}",
        "tracking_digest": f"{number:064x}",
        "project_id": project.pk if project else None,
        "site_name": "" if project else "Synthetic unlisted site",
        "region": project.region if project else rng.choice(["kyzylorda", "pavlodar", "atyrau", ""]),
        "reporter_type": rng.choice(ReporterType.values),
        "primary_category": rng.choice(Category.values),
        "severity": rng.randint(1, 4),
        "title": "Synthetic report",
        "description": "Synthetic report, original text.",
        "public_title": rng.choice(TITLES),
        "public_description": public_text(rng),
        "public_latitude": latitude,
        "public_longitude": Decimal(f"{rng.uniform(47.0, 87.0):.2f}") if latitude is not None else None,
        "observed_on": date(2019, 1, 1) + timedelta(days=rng.randrange(2500)),
        "ongoing": rng.random() < 0.3,
        "language": rng.choice(["kk", "ru", "en"]),
        "consent_publication": True,
        "consent_privacy": True,
        "status": Status.PUBLISHED.value,
        "published_at": now - timedelta(minutes=number),
        "created": now - timedelta(minutes=number, hours=1),
    }


class RowMaker:
    """Database rows for the reports' table: every column as Django would insert a new report (its
    defaults, computed once from a model instance), with each report's own values put in."""

    def __init__(self, connection, sample: dict):
        from impacts.models import ImpactReport

        self.fields = [field for field in ImpactReport._meta.concrete_fields if not field.primary_key]
        report = ImpactReport(**sample)
        self.template = [field.get_db_prep_save(field.pre_save(report, True), connection) for field in self.fields]
        self.position = {field.attname: index for index, field in enumerate(self.fields)}

    def row(self, values: dict) -> list:
        row = list(self.template)
        for name, value in values.items():
            row[self.position[name]] = value
        return row


def copy_reports(values: list[dict], connection) -> None:
    """COPY the reports into their table: the fastest way in, one round trip per batch."""
    from impacts.models import ImpactReport

    maker = RowMaker(connection, values[0])
    table = connection.ops.quote_name(ImpactReport._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in maker.fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for report in values:
            copy.write_row(maker.row(report))


# Each report's primary category, and each other category with this chance (about one more in all).
CATEGORY_LINKS_SQL = """
    INSERT INTO impacts_reportcategory (report_id, category)
    SELECT id, primary_category FROM impacts_impactreport WHERE id > %(after)s
    UNION ALL
    SELECT report.id, extra.category FROM impacts_impactreport report
        CROSS JOIN unnest(%(categories)s::varchar[]) AS extra(category)
        WHERE report.id > %(after)s AND random() < 0.1
    ON CONFLICT DO NOTHING
"""


def search_index_sql() -> tuple[str, str]:
    """(create, drop) statements of the full-text GIN index, from its migration."""
    import importlib

    migration = importlib.import_module("impacts.migrations.0008_stored_search_vector")
    return migration.CREATE, migration.DROP


def checkpoint(connection) -> None:
    """Write the load's pages to disk now, so the measurements do not share the machine with it.

    Loading 100,000 reports dirties some 300 MB; left to itself the checkpointer writes them out
    over the next minutes (checkpoint_completion_target), while the pages are measured. One run had
    four pages in a row drawn 1.2-2.3x slower at 100,000 than at 1,000 (0.9-1.3x when run again).
    CHECKPOINT needs a superuser or pg_checkpoint; without either, the run goes on as before."""
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"  (no CHECKPOINT after loading: {str(error).strip()})")


def seed(count: int, start: int, rng: random.Random, *, owned: bool) -> float:
    """Add `count` published synthetic reports numbered from `start` (PostgreSQL), their categories,
    then VACUUM ANALYZE and CHECKPOINT; returns the seconds it took.

    Reports go in with COPY, BATCH at a time, categories with one INSERT … SELECT. In its own
    database the script drops the GIN index while it loads and builds it again after, which is
    several times faster than updating it row by row (the same index, so the same plans).
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from impacts.models import Category
    from projects.models import Project

    projects = list(Project.objects.only("pk", "region").order_by("slug"))
    began, now = time.perf_counter(), timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM impacts_impactreport")
        (after,) = cursor.fetchone()
        if owned:
            cursor.execute(search_index_sql()[1])
    for batch_start in range(start, start + count, BATCH):
        numbers = range(batch_start, min(batch_start + BATCH, start + count))
        with transaction.atomic():
            copy_reports([synthetic_values(n, rng, projects, now) for n in numbers], connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.16)")
        cursor.execute(CATEGORY_LINKS_SQL, {"after": after, "categories": Category.values})
        if owned:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(search_index_sql()[0])
        # Outside any transaction (Django's autocommit): as a production database after autovacuum.
        cursor.execute("VACUUM ANALYZE")
    checkpoint(connection)
    return time.perf_counter() - began
