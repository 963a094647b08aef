"""How fast "does this photo resemble one we have?" is answered at 100,000 files.

    .venv/bin/python bench/fingerprints.py                 # about a minute; exit status 1 if a goal is missed
    .venv/bin/python bench/fingerprints.py --rows 20000    # a quick look

What it does, on 127.0.0.1 only:
1. Recreates the PostgreSQL database ``kzcn_bench_fp`` (BENCH_FP_DATABASE_URL; the name must start
   with kzcn_bench, which the script owns and drops at the end unless --keep) and migrates it.
2. Inserts `--rows` evidence rows with random 64-bit perceptual hashes (uniformly random: real
   photos' hashes are less spread out, so real bands are somewhat fuller), then, for each query,
   a few planted near-duplicates at known distances; VACUUM ANALYZE.
3. For thresholds 3, 7 and 10 (the default), times `impacts.evidence.fingerprints.near_duplicates`
   for one file (the band index: one query) against a full scan in SQL (every row's Hamming
   distance with bit_count), checks both find the same rows, and shows the plan PostgreSQL chose.
4. Prints the table and the goal: the indexed lookup under 20 ms in PostgreSQL at p95 (EXPLAIN
   ANALYZE) and nothing missed; the whole lookup's wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OWN_PREFIX = "kzcn_bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kzcn_bench_fp"
THRESHOLDS = (3, 7, 10)
# In the database, where the index acts: the rest of a lookup (Python, Django) is the same with or
# without the bands, and on a busy 2-CPU machine its wall time mostly measures the other processes.
GOAL_DB_P95_MS = 20.0
PLANTED_DISTANCES = (0, 2, 3, 5, 7, 9, 10, 12)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40, help="lookups timed per threshold")
    parser.add_argument("--keep", action="store_true", help="keep the kzcn_bench_fp database afterwards")
    return parser.parse_args(argv)


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    name = database_name(url)
    assert url.startswith("postgres") and name.startswith(OWN_PREFIX), url  # never drop another database
    admin_url = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "kzcn.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def flip(value: int, bits: int, rnd: random.Random) -> int:
    for position in rnd.sample(range(64), bits):
        value ^= 1 << position
    return value


def fill(rows: int, queries: int, rnd: random.Random):
    """`rows` random hashes in one report, plus planted near-duplicates of each query's hash."""
    from impacts.evidence.fingerprints import hash_fields
    from impacts.models import Evidence
    from tests.reports import make_report

    stored, asking = make_report(), make_report()

    def row(value: int, number: int) -> Evidence:
        return Evidence(
            report=stored,
            kind="photo",
            sha256=f"{number:064x}",
            content_type="image/jpeg",
            size=1,
            sealed_file=f"bench/{number}.jpg",
            **hash_fields(value),
        )

    values = [rnd.getrandbits(64) for _ in range(queries)]
    batch = [row(rnd.getrandbits(64), number) for number in range(rows)]
    for index, value in enumerate(values):
        batch += [row(flip(value, bits, rnd), rows + index * 100 + n) for n, bits in enumerate(PLANTED_DISTANCES)]
    Evidence.objects.bulk_create(batch, batch_size=5_000)
    probes = Evidence.objects.bulk_create(
        [
            Evidence(
                report=asking,
                kind="photo",
                sha256=f"{10**12 + n:064x}",
                content_type="image/jpeg",
                size=1,
                sealed_file=f"bench/q{n}.jpg",
                **hash_fields(value),
            )
            for n, value in enumerate(values)
        ]
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE impacts_evidence")
    return probes


FULL_SCAN_SQL = (
    "SELECT id FROM impacts_evidence WHERE report_id <> %s AND phash IS NOT NULL "
    "AND bit_count((phash # %s)::bit(64)) <= %s"
)


def full_scan(item, threshold: int) -> set[int]:
    """Every row's distance computed by PostgreSQL: what the lookup would cost without the bands."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FULL_SCAN_SQL, [item.report_id, item.phash, threshold])
        return {row[0] for row in cursor.fetchall()}


def database_ms(sql: str, params) -> float:
    """PostgreSQL's own execution time for a query (EXPLAIN ANALYZE): the part the index changes,
    without Python, the network and the other processes of a busy machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        return float(cursor.fetchone()[0][0]["Execution Time"])


def candidates_sql(item, threshold: int):
    from impacts.evidence.fingerprints import candidates_filter
    from impacts.models import Evidence

    query = (
        Evidence.objects.filter(candidates_filter([item.phash], threshold))
        .exclude(report_id=item.report_id)
        .order_by()
        .values_list("pk", "phash", "sha256")
        .query
    )
    return query.sql_with_params()


def timed(function) -> tuple[float, object]:
    began = time.perf_counter()
    result = function()
    return (time.perf_counter() - began) * 1000, result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def plan_summary(item, threshold: int) -> str:
    from impacts.evidence.fingerprints import candidates_filter
    from impacts.models import Evidence

    plan = Evidence.objects.filter(candidates_filter([item.phash], threshold)).order_by().explain()
    scans = sorted(
        {line.strip().split(" on ")[0].lstrip("-> ").strip() for line in plan.splitlines() if " on " in line}
    )
    return ", ".join(scans)


def measure(probes, threshold: int) -> dict:
    from impacts.evidence.fingerprints import near_duplicates

    indexed, scanned, missed, indexed_db, scanned_db = [], [], 0, [], []
    for item in probes:
        ms, found = timed(lambda item=item: near_duplicates([item], threshold)[item.pk])
        indexed.append(ms)
        ms, expected = timed(lambda item=item: full_scan(item, threshold))
        scanned.append(ms)
        missed += len(expected - {match.evidence.pk for match in found})
        indexed_db.append(database_ms(*candidates_sql(item, threshold)))
        scanned_db.append(database_ms(FULL_SCAN_SQL, [item.report_id, item.phash, threshold]))
    return {
        "threshold": threshold,
        "indexed_db_p50": statistics.median(indexed_db),
        "indexed_db_p95": percentile(indexed_db, 0.95),
        "scan_db_p50": statistics.median(scanned_db),
        "indexed_p50": statistics.median(indexed),
        "indexed_p95": percentile(indexed, 0.95),
        "scan_p50": statistics.median(scanned),
        "scan_p95": percentile(scanned, 0.95),
        "missed": missed,
        "plan": plan_summary(probes[0], threshold),
    }


def report(rows: int, results: list[dict]) -> int:
    print(f"\nNear-duplicate lookup for one file among {rows:,} hashes (PostgreSQL, {len(results)} thresholds)")
    print("Whole lookup as the admin calls it (Python included), and PostgreSQL's own time (EXPLAIN ANALYZE).")
    print(
        f"{'distance ≤':>10} {'bands: p50':>11} {'p95':>8} {'db p50':>8} {'db p95':>8} "
        f"{'full scan: p50':>15} {'p95':>8} "
        f"{'db p50':>8} {'missed':>7}  plan"
    )
    for r in results:
        print(
            f"{r['threshold']:>10} {r['indexed_p50']:>9.2f}ms {r['indexed_p95']:>6.2f}ms "
            f"{r['indexed_db_p50']:>6.2f}ms {r['indexed_db_p95']:>6.2f}ms "
            f"{r['scan_p50']:>13.2f}ms {r['scan_p95']:>6.2f}ms {r['scan_db_p50']:>6.2f}ms {r['missed']:>7}  "
            f"{r['plan']}"
        )
    failed = [r for r in results if r["missed"] or r["indexed_db_p95"] > GOAL_DB_P95_MS]
    verdict = "FAIL" if failed else "PASS"
    print(
        f"\nGoal: the indexed lookup under {GOAL_DB_P95_MS:.0f} ms in PostgreSQL at p95, nothing missed, "
        f"at every threshold: {verdict}"
    )
    print(f"Load average: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_FP_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not (url.startswith("postgres") and database_name(url).startswith(OWN_PREFIX)):
        raise SystemExit(f"BENCH_FP_DATABASE_URL must name a PostgreSQL database kzcn_bench…: {url}")
    recreate_database(url)
    try:
        setup_django(url)
        began = time.perf_counter()
        probes = fill(args.rows, args.queries, random.Random(2015))
        print(f"Inserted {args.rows:,} hashes (+ planted copies) in {time.perf_counter() - began:.1f} s")
        status = report(args.rows, [measure(probes, threshold) for threshold in THRESHOLDS])
    finally:
        from django.db import connection

        connection.close()
        if not args.keep:
            recreate_database(url, drop_only=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
