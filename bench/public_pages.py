"""Benchmark of the public pages at 1,000 and 100,000 published reports.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kzcn_bench .venv/bin/python bench/public_pages.py
    make bench            # the same, on PostgreSQL by default

For each size it seeds synthetic published reports (bulk_create, in batches), then serves the site
in this process through django.test.Client (the whole middleware stack, no network) and prints the
median latency of the list, a filtered list, a search, a project page, the GeoJSON export and the
JSON API, each divided by the median of a trivial view served the same way. The peak memory of a
full CSV export is measured in a child process (tracemalloc peak and growth of the resident set).

``--common-word``/``--rare-word`` choose the words of the two searches (a word in about half the
reports and one in about 2%); ``--only search`` measures only the pages whose name starts with
"search" (and skips the CSV export), for a short run.

Safety: when the database is named ``kzcn_bench`` (or ``kzcn_bench_…``) the script owns it: it creates it afresh and
drops it at the end (``--keep`` keeps it). Any other database is used only if it holds no reports
but synthetic ones (reference ``BENCH-…``), unless ``--force``. Without DATABASE_URL, a throw-away
SQLite file under var/ is used.
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OWN_DATABASE = "kzcn_bench"
SYNTHETIC_PREFIX = "BENCH-"
BATCH = 5000

WORDS = (
    "dust smoke water river lake well pipe field village school road truck night morning wind smell "
    "cement plant kiln ash waste dump fish animals cattle grass trees garden children cough eyes "
    "noise vibration workers fence gate tank spill oil black white grey yellow canal steppe houses "
    "roof windows wells drinking irrigation crops harvest flood dry sand chimney flare gas factory "
    "пыль вода река дым запах завод село дети кашель шум ночью утром скот трава колодец отходы "
    "шаң су өзен түтін иіс зауыт ауыл балалар жөтел шу түнде малы шөп құдық қалдықтар"
).split()
RARE_WORD = "cyanide"  # in about 2% of the reports: a realistic, selective search


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--requests", type=int, default=30, help="requests per page (fewer if a page is slow)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per page at most (at least 3 requests)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (much slower)")
    parser.add_argument("--common-word", default="water", help="a word in about half the reports")
    parser.add_argument("--rare-word", default=RARE_WORD, help="a word in about 2%% of the reports")
    parser.add_argument("--only", default="", help="measure only the pages whose name starts with this")
    parser.add_argument("--force", action="store_true", help="use a database that holds real reports")
    parser.add_argument("--keep", action="store_true", help="keep the kzcn_bench database afterwards")
    parser.add_argument("--csv-only", action="store_true", help="measure only the CSV export's memory")
    parser.add_argument("--csv-memory", action="store_true", help=argparse.SUPPRESS)  # the child process
    return parser.parse_args()


# The database -------------------------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def owns(url: str) -> bool:
    """kzcn_bench and kzcn_bench_<anything> belong to this script (one per person measuring)."""
    name = database_name(url)
    return url.startswith("postgres") and (name == OWN_DATABASE or name.startswith(f"{OWN_DATABASE}_"))


def recreate_own_database(url: str, *, drop_only: bool = False) -> None:
    """Drop and (unless drop_only) create the bench's database, connected to the server's 'postgres' one."""
    import psycopg

    name = database_name(url)
    assert owns(url), name  # never drop a database that is not the bench's
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def remove_sqlite(path: Path) -> None:
    """The database file and its WAL companions (a stale -wal file breaks a new database)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzcn.settings")
    os.environ.setdefault("KZCN_VAR_DIR", str(ROOT / "var"))
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench.urls"
    settings.DEBUG = False  # no query log growing in memory, as in production
    settings.ALLOWED_HOSTS = ["testserver"]
    from rest_framework.throttling import AnonRateThrottle

    AnonRateThrottle.THROTTLE_RATES = {"anon": None}  # one client sends every request


def refuse_real_data(force: bool) -> None:
    from impacts.models import ImpactReport

    real = ImpactReport.objects.exclude(reference__startswith=SYNTHETIC_PREFIX).count()
    if real and not force:
        sys.exit(f"Refusing: this database holds {real} reports that are not synthetic. Use kzcn_bench or --force.")


# Seeding --------------------------------------------------------------------------------------------


def synthetic_text(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    if rng.random() < 0.02:
        words.insert(rng.randrange(len(words)), RARE_WORD)
    return " ".join(words).capitalize() + "."


def search_index_sql() -> tuple[str, str]:
    """(create, drop) statements of the full-text GIN index, from its migration."""
    import importlib

    migration = importlib.import_module("impacts.migrations.0008_stored_search_vector")
    return migration.CREATE, migration.DROP


def seed(count: int, start: int, rng: random.Random, *, owned: bool) -> float:
    """Add `count` published synthetic reports numbered from `start`; returns the seconds it took.

    In its own database the script drops the GIN index while it loads and builds it again after,
    which is several times faster than updating it row by row (the same index, so the same plans).
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from impacts.models import Category, ImpactReport, ReportCategory, ReporterType, Status
    from projects.models import Project

    projects = list(Project.objects.only("pk", "region"))
    categories, reporter_types = Category.values, ReporterType.values
    began = time.perf_counter()
    now = timezone.now()
    rebuild_index = owned and connection.vendor == "postgresql"
    if rebuild_index:
        with connection.cursor() as cursor:
            cursor.execute(search_index_sql()[1])
    for batch_start in range(start, start + count, BATCH):
        reports = []
        for number in range(batch_start, min(batch_start + BATCH, start + count)):
            project = rng.choice(projects) if rng.random() < 0.85 else None
            observed = date(2019, 1, 1) + timedelta(days=rng.randrange(2500))
            latitude = round(rng.uniform(41.0, 55.0), 2) if rng.random() < 0.8 else None
            reports.append(
                ImpactReport(
                    reference=f"{SYNTHETIC_PREFIX}{number:07d}",
                    tracking_digest=f"{number:064x}",
                    project=project,
                    site_name="" if project else "Synthetic unlisted site",
                    region=project.region if project else rng.choice(["kyzylorda", "pavlodar", "atyrau", ""]),
                    reporter_type=rng.choice(reporter_types),
                    primary_category=rng.choice(categories),
                    severity=rng.randint(1, 4),
                    title="Synthetic report",
                    description="Synthetic report, original text.",
                    public_title=synthetic_text(rng, 3, 8).rstrip("."),
                    public_description=synthetic_text(rng, 30, 120),
                    public_latitude=latitude,
                    public_longitude=round(rng.uniform(47.0, 87.0), 2) if latitude is not None else None,
                    observed_on=observed,
                    ongoing=rng.random() < 0.3,
                    language=rng.choice(["kk", "ru", "en"]),
                    consent_publication=True,
                    consent_privacy=True,
                    status=Status.PUBLISHED,
                    published_at=now - timedelta(minutes=number),
                    created=now - timedelta(minutes=number, hours=1),
                )
            )
        with transaction.atomic():
            created = ImpactReport.objects.bulk_create(reports)
            links = []
            for report in created:
                extra = rng.sample(categories, rng.randint(0, 2))
                for category in {report.primary_category, *extra}:
                    links.append(ReportCategory(report_id=report.pk, category=category))
            ReportCategory.objects.bulk_create(links, batch_size=BATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if rebuild_index:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                cursor.execute(search_index_sql()[0])
            cursor.execute("ANALYZE impacts_impactreport; ANALYZE impacts_reportcategory")
    return time.perf_counter() - began


# Measuring ------------------------------------------------------------------------------------------


def timed_get(client, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    if response.streaming:
        for _ in response.streaming_content:
            pass
    else:
        response.content  # noqa: B018 (make sure the body is built)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def median_latency(client, url: str, requests: int, budget: float) -> tuple[float, int]:
    """Median seconds over `requests` requests, or fewer (at least 3) if they exceed `budget` seconds."""
    timed_get(client, url)  # warm-up: caches, first connection, template loading
    times, began = [], time.perf_counter()
    while len(times) < requests and (len(times) < 3 or time.perf_counter() - began < budget):
        times.append(timed_get(client, url))
    return statistics.median(times), len(times)


def pages(args: argparse.Namespace) -> dict[str, str]:
    from django.db.models import Count

    from projects.models import Project

    busiest = Project.objects.annotate(total=Count("reports")).order_by("-total").first()
    return {
        "list": "/en/reports/",
        "filtered list": "/en/reports/?category=water&sector=construction_materials&observed_from=2024-01-01",
        "search": f"/en/reports/?q={args.rare_word}+{args.common_word}",
        "search common": f"/en/reports/?q={args.common_word}",
        "search rare": f"/en/reports/?q={args.rare_word}",
        "project page": busiest.get_absolute_url(),
        "GeoJSON export": "/en/reports/export.geojson",
        "API list": "/api/reports/?page_size=100",
    }


def explain_search(word: str) -> str:
    from django.db import connection

    from impacts.filters import ImpactReportFilter
    from impacts.models import ImpactReport

    queryset = ImpactReportFilter({"q": word}, queryset=ImpactReport.objects.published()).qs
    if connection.vendor != "postgresql":
        return "(EXPLAIN shown on PostgreSQL only)"
    return queryset[:20].explain(analyze=True)


def csv_peak_memory(url: str, trace: bool) -> str:
    """Run the full CSV export in a child process and return what it measured."""
    child = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [sys.executable, __file__, "--csv-memory", *(["--tracemalloc"] if trace else [])],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    return child.stdout.strip()


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM). Unlike ru_maxrss, it is not inherited across exec
    from the parent that started the child, so the child measures only itself."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


def measure_csv_memory(trace: bool) -> None:
    """In the child: stream the whole CSV export and print the growth of peak RSS (and traced peak)."""
    import tracemalloc

    from django.test import Client

    client = Client()
    timed_get(client, "/bench-trivial/")
    rss_before = peak_rss_mib()
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get("/en/reports/export.csv")
    size, rows = 0, -1  # the header is not a report
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - began
    rss_after = peak_rss_mib()
    traced = f"; peak traced Python memory {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB" if trace else ""
    print(
        f"full CSV export: {rows:,} rows, {size / 2**20:.1f} MiB in {elapsed:.1f} s; "
        f"peak RSS {rss_after:.1f} MiB, {rss_after - rss_before:.1f} MiB above the process before it"
        f"{traced}"
    )


def report(size: int, seconds: float, args: argparse.Namespace, url: str) -> None:
    from django.test import Client

    print(f"\n=== {size:,} published reports (seeded in {seconds:.1f} s) ===")
    if args.csv_only:
        print(csv_peak_memory(url, args.tracemalloc))
        return
    client = Client()
    trivial, _ = median_latency(client, "/bench-trivial/", args.requests, args.budget)
    print(f"{'page':<16}{'median ms':>10}{'× trivial':>11}{'requests':>10}")
    print(f"{'trivial view':<16}{trivial * 1000:>10.2f}{1:>11.1f}{args.requests:>10}")
    for name, page in pages(args).items():
        if not name.startswith(args.only):
            continue
        median, done = median_latency(client, page, args.requests, args.budget)
        print(f"{name:<16}{median * 1000:>10.2f}{median / trivial:>11.1f}{done:>10}")
    if not args.only:
        print(csv_peak_memory(url, args.tracemalloc))
    print(f"EXPLAIN ANALYZE of the search for {args.common_word!r} (first page):")
    print("   " + explain_search(args.common_word).replace("\n", "\n   "))


def main() -> None:
    args = parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'kzcn_bench.sqlite3'}"
    if args.csv_memory:
        setup_django(url)
        measure_csv_memory(args.tracemalloc)
        return
    owned = owns(url)
    sqlite_file = Path(urlsplit(url).path) if url.startswith("sqlite") and "kzcn_bench" in url else None
    if owned:
        recreate_own_database(url)
    elif sqlite_file:
        remove_sqlite(sqlite_file)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    refuse_real_data(args.force)
    call_command("import_projects", verbosity=0)
    from django.db import connection

    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}; Python {sys.version.split()[0]}")
    rng, seeded = random.Random(5), 0
    from impacts.models import ImpactReport

    start = ImpactReport.objects.filter(reference__startswith=SYNTHETIC_PREFIX).count()
    try:
        for size in sorted(args.sizes):
            seconds = seed(size - seeded, start + seeded, rng, owned=owned)
            seeded = size
            report(size, seconds, args, url)
    finally:
        connection.close()
        if owned and not args.keep:
            recreate_own_database(url, drop_only=True)
        elif sqlite_file and not args.keep:
            remove_sqlite(sqlite_file)


if __name__ == "__main__":
    main()
