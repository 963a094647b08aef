"""The CPU each public page costs the web process, counted rather than timed through a load tool.

    .venv/bin/python bench/page_cost.py                 # 2,000 reports, 40 requests a page
    .venv/bin/python bench/page_cost.py --requests 100 --only list

`make bench` measures latency and throughput through gunicorn and wrk, which needs an idle machine.
This script answers the question behind those figures on a busy one: how much of this process's
CPU time (``time.process_time``: its own work, not PostgreSQL's or Redis's, and not time spent
waiting for a core) a request takes, in the production configuration (DJANGO_DEBUG=0, cached
template loaders, Redis, PostgreSQL), through Django's test client. Each page is measured three
times: "drawn", with the page cache off (the view runs every time), "repeat", the same anonymous
request again (answered by the page cache, kzcn.page_cache, where the page may be kept), and "304",
a visitor revalidating a current copy. The client's own share is in every figure (see the baseline).

Uses its own PostgreSQL database (BENCH_COST_DATABASE_URL, default kzcn_bench_cost, recreated and
dropped unless --keep) and Redis database 10 (BENCH_COST_CACHE_URL, flushed).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import public_pages, synthetic_reports  # noqa: E402 (after the path above, when run as a script)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kzcn_bench_cost"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/10"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2_000, help="published synthetic reports")
    parser.add_argument("--requests", type=int, default=40, help="requests a page, after two to warm up")
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (and reuse it)")
    parser.add_argument(
        "--profile", default="", help="label of a page to profile while drawn (needs `pip install pyinstrument`)"
    )
    return parser.parse_args(argv)


def production_settings(database_url: str, cache_url: str, var_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": database_url,
            "CACHE_URL": cache_url,
            "KZCN_VAR_DIR": str(var_dir),
            "DJANGO_LOG_LEVEL": "ERROR",
        }
    )
    import django

    django.setup()
    from django.conf import settings

    # The test client speaks plain HTTP; production is behind nginx's TLS (X-Forwarded-Proto is sent too).
    settings.SECURE_SSL_REDIRECT = False


def the_pages(targets) -> list[tuple[str, str]]:
    """(label, path) of the benchmark's pages, without the static file and the links found in pages."""
    chosen = [(p.label, p.path) for p in public_pages.pages(targets) if p.label != public_pages.STATIC_FILE]
    return [(label, path) for label, path in chosen if not label.startswith(("list, next", "list, deep"))]


def cost(client, path: str, requests: int, *, page_cache: bool, conditional: bool = False) -> tuple[float, int]:
    """Median CPU milliseconds of this process per request, and the last status. Without the page
    cache the view draws the page every time (kept summaries and forms stay, as between two
    publications); conditional: with the validators of the answer before (a revalidating visitor)."""
    from django.test import override_settings

    headers = dict(public_pages.PROXY_HEADERS)
    with override_settings(KZCN_PAGE_CACHE=page_cache):
        for _ in range(2):
            answer = client.get(path, headers=headers)
        if conditional and answer.get("ETag"):
            headers["If-None-Match"] = answer["ETag"]
        samples = []
        for _ in range(requests):
            began = time.process_time()
            answer = client.get(path, headers=headers)
            samples.append((time.process_time() - began) * 1000)
    return statistics.median(samples), answer.status_code


def profile(client, path: str) -> None:
    from django.test import override_settings
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with override_settings(KZCN_PAGE_CACHE=False), profiler:
        for _ in range(20):
            client.get(path, headers=public_pages.PROXY_HEADERS)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def prepare(args: argparse.Namespace, database_url: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    from impacts.models import ImpactReport

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # the hashed names, as production links them
    have = ImpactReport.objects.filter(reference__startswith=synthetic_reports.SYNTHETIC_PREFIX).count()
    if have == 0:
        call_command("import_projects", verbosity=0)
    if have < args.size:
        synthetic_reports.seed(args.size - have, have, random.Random(16), owned=True)
    connection.close()


def database_exists(url: str) -> bool:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [public_pages.database_name(url)])
        return found.fetchone() is not None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("BENCH_COST_DATABASE_URL") or DEFAULT_DATABASE_URL
    cache_url = os.environ.get("BENCH_COST_CACHE_URL") or DEFAULT_CACHE_URL
    if not public_pages.owns(database_url):
        raise SystemExit(f"BENCH_COST_DATABASE_URL must name a PostgreSQL database kzcn_bench_…: {database_url}")
    if not (args.keep and database_exists(database_url)):
        public_pages.recreate_database(database_url)
    public_pages.flush_cache(cache_url)
    with tempfile.TemporaryDirectory(prefix="kzcn-cost-") as folder:
        production_settings(database_url, cache_url, Path(folder))
        try:
            return run(args, database_url)
        finally:
            from django.db import connection

            connection.close()
            public_pages.flush_cache(cache_url)
            if not args.keep:
                public_pages.recreate_database(database_url, drop_only=True)


def run(args: argparse.Namespace, database_url: str) -> int:
    from django.test import Client

    prepare(args, database_url)
    # Without setup_test_environment(): its instrumented template rendering would add to every page.
    client = Client()
    targets = public_pages.find_targets(static_path="/static/css/site.css")
    print(f"{args.size:,} reports, {args.requests} requests a page; load average {public_pages.load_average()}")
    print(f"{'median CPU ms per request':<44} {'drawn':>8} {'repeat':>8} {'304':>8}  statuses")
    for label, path in the_pages(targets):
        if args.only.lower() not in label.lower():
            continue
        if args.profile and args.profile.lower() in label.lower():
            profile(client, path)
        try:
            runs = [
                cost(client, path, args.requests, page_cache=False),
                cost(client, path, args.requests, page_cache=True),
                cost(client, path, args.requests, page_cache=True, conditional=True),
            ]
        except Exception as error:  # noqa: BLE001 - one broken page must not hide the others' figures
            print(f"{label:<44} failed: {error!r}"[:200], flush=True)
            continue
        figures = " ".join(f"{median:>8.2f}" for median, _ in runs)
        print(f"{label:<44} {figures}  {'/'.join(str(status) for _, status in runs)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
