"""`make bench`: the public pages as visitors feel them, at 1,000 and 100,000 published reports.

    make bench                  # about 9 minutes on an idle machine; exit status 1 when a goal is missed
    .venv/bin/python bench/public_pages.py --sizes 1000 --rounds 1      # a quick look

What it does, on 127.0.0.1 only:
1. Creates one PostgreSQL database per size, ``kzcn_bench_1000`` and ``kzcn_bench_100000`` (named
   after BENCH_DATABASE_URL's, which must start with kzcn_bench; the script owns them and drops them
   at the end unless --keep): the first migrated with the catalogue loaded, the other a copy of it.
   Each gets its own Redis database (BENCH_CACHE_URL's, db 7 by default, and the next: 8).
2. Gives each its synthetic published reports (bench/synthetic_reports.py: "water" in 57% of them,
   "cyanide" in 2%; the same first 1,000 at both sizes), VACUUM ANALYZE and CHECKPOINT, and starts
   gunicorn on each as in production (DJANGO_DEBUG=0, 2 sync workers, Redis cache) with
   bench.settings, which only adds the yardstick page (bench/urls.py). Both sizes are served at once
   and measured in turn, page by page and round by round (small, large, then large, small): a drift
   of the machine's speed over minutes then falls on both sizes alike instead of passing for growth
   (measured one after the other, pages whose work does not depend on the data differed by up to
   ±35% between the two phases of one run on a shared VM).
3. Every public page (`pages()` below; MEASURED_ROUTES and NOT_MEASURED account for every route of
   impacts/urls.py and projects/urls.py, as tests/test_bench_harness.py checks) is fetched once (its
   status, its bytes and its validators), then loaded by `wrk` with 4 connections for a fixed time,
   in each of --rounds rounds (2; the rounds' figures are combined, wrk.combined; 2 s drawn, 1 s
   cold and cached):
   cold (no validators: after the first request the server answers from the page it kept,
   kzcn.page_cache, as it does for every visitor without a copy), drawn (each request with a query
   parameter no page reads and no one asked for before: the view runs every time, as for a new
   combination of filters),
   and cached (If-None-Match/If-Modified-Since from the first answer, expecting 304). Requests
   carry `X-Forwarded-Proto: https` and a client address per request, as from nginx.
4. At the largest size, the full CSV and GeoJSON exports once each: time, bytes and the gunicorn
   workers' peak resident memory.
5. Prints the table (p50/p95 per size, growth, × baseline, req/s, bytes) and the goals of issue 16
   with PASS/FAIL (bench/goals.py), and the machine's load average at the start and the end.
"""

from __future__ import annotations

import argparse
import gzip
import html
import os
import random
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals, synthetic_reports, wrk  # noqa: E402 (after the path above, when run as a script)
from bench.goals import BASELINE, LIST_PAGE, STATIC_FILE, PageResult  # noqa: E402

OWN_DATABASE = "kzcn_bench"
DEFAULT_DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{OWN_DATABASE}"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/7"  # a spare database: 0 is production's, 5 the load test's, 12-13 tests'
HOST = "127.0.0.1"
# As nginx (kzcn/deploy/nginx.conf) forwards every request: TLS ended there, so no HTTPS redirect.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
LANGUAGE = "en"
DEEP_STEPS = 20  # how many "Next" links to follow for a deep page when the list has no page numbers
DEEP_LABEL = f"{DEEP_STEPS} links on, or 90% down"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    # Whole seconds: wrk takes no fractions.
    # The drawn runs are the ones the growth goal hinges on (the view runs every time, so they make
    # the fewest requests): they get the longest runs. A page never kept (a form, the yardstick) is
    # drawn every time, so its one run gets the drawn time too.
    parser.add_argument("--seconds", type=int, default=1, help="wrk's run per page and round, cold (kept page)")
    parser.add_argument("--drawn-seconds", type=int, default=2, help="wrk's run per page and round, drawn")
    parser.add_argument("--cached-seconds", type=int, default=1, help="wrk's run per page and round, cached (304)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="how many times each page is measured at each size, in turn"
    )
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--only", default="", help="measure only the pages whose label contains this (or one of these, comma-separated)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the kzcn_bench_<size> databases afterwards")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the searches at the largest size")
    return parser.parse_args(argv)


# The pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page to load: its label in the table, the route that serves it, and its path."""

    label: str
    route: str
    path: str
    cacheable: bool = True
    map_data: bool = False


@dataclass(frozen=True)
class Targets:
    """The rows and links the pages need, found in the data and in the pages themselves."""

    report_reference: str
    project_slug: str
    region: str
    static_path: str
    filters: str = "category=water&observed_from=2021-01-01"  # the filtered list's (full_page_filters)
    older_path: str = ""
    deep_path: str = ""
    map_data_paths: tuple[tuple[str, str], ...] = ()  # (view, path)


# Every route of impacts/urls.py and projects/urls.py is either measured (here, with the label of
# its rows) or listed in NOT_MEASURED with the reason. A new public page must be added to one of them.
MEASURED_ROUTES = {
    "projects:home": "home",
    "projects:project_list": "projects",
    "projects:project_detail": "project page",
    "projects:project_timeline_csv": "project timeline CSV",
    "projects:suggest": "suggest a project (form)",
    "impacts:report_list": LIST_PAGE,
    "impacts:report_detail": "report page",
    "impacts:report_create": "report form",
    "impacts:track_lost": "lost tracking link (form)",
    "impacts:map": "/map/",
    "impacts:map_points": "map data (three views)",
    "impacts:report_place": "report form: place of a pin",
    "impacts:report_nearby": "report form: reports nearby",
    "impacts:stats": "/stats/",
    "impacts:feed": "Atom feed",
    "impacts:project_feed": "project feed",
    "impacts:region_feed": "region feed",
    "impacts:report_export_csv": "full CSV export (once, largest size)",
    "impacts:report_export_geojson": "full GeoJSON export (once, largest size)",
}
NOT_MEASURED = {
    "impacts:track": "private: a reporter's own page behind a secret token",
    "impacts:report_sent": "shown once to the reporter after their own POST",
    "projects:suggestion_sent": "shown once after the visitor's own POST",
    "impacts:evidence_file": "the synthetic reports carry no files; files are sent with their own validators",
    "impacts:evidence_record": "the synthetic reports carry no files (a file's public record)",
    # Issue 15 (after publication): forms and private links, none of them a page the public lists.
    "impacts:affects_me": "a neighbour's POST (this affects me too), not a page",
    "impacts:update_create": "a form with a CSRF token, never shared; not measured yet (like the report form)",
    "impacts:update_sent": "shown once after the visitor's own POST",
    "impacts:alerts_subscribe": "a form with a CSRF token, never shared; not measured yet (like the report form)",
    "impacts:alerts_confirm": "private: a subscriber's link behind a secret token",
    "impacts:alerts_unsubscribe": "private: a subscriber's link behind a secret token",
    "impacts:company_reply": "private: a company's form behind a secret token",
    "impacts:company_reply_document": "the synthetic reports carry no company replies or their files",
    "impacts:authority_letter": "private: a reporter's letter behind the tracking token",
}


def pages(targets: Targets) -> list[Page]:
    """Every page the benchmark loads, in the order of the table."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override(LANGUAGE):
        report_list = reverse("impacts:report_list")
        slug = {"slug": targets.project_slug}
        listed = [
            Page(BASELINE, "bench_baseline", reverse("bench_baseline"), cacheable=False),
            Page(STATIC_FILE, "static", targets.static_path, cacheable=False),
            Page("home", "projects:home", reverse("projects:home")),
            Page("projects", "projects:project_list", reverse("projects:project_list")),
            Page("project page", "projects:project_detail", reverse("projects:project_detail", kwargs=slug)),
            Page(
                "project timeline CSV",
                "projects:project_timeline_csv",
                reverse("projects:project_timeline_csv", kwargs=slug),
            ),
            Page(LIST_PAGE, "impacts:report_list", report_list),
            Page(
                f"search common ({synthetic_reports.COMMON_WORD!r}, 57%)",
                "impacts:report_list",
                f"{report_list}?q={synthetic_reports.COMMON_WORD}",
            ),
            Page(
                f"search rare ({synthetic_reports.RARE_WORD!r}, 2%)",
                "impacts:report_list",
                f"{report_list}?q={synthetic_reports.RARE_WORD}",
            ),
            Page("filtered list", "impacts:report_list", f"{report_list}?{targets.filters}"),
            Page(
                "report page",
                "impacts:report_detail",
                reverse("impacts:report_detail", kwargs={"reference": targets.report_reference}),
            ),
            Page("/map/", "impacts:map", reverse("impacts:map")),
            Page("/stats/", "impacts:stats", reverse("impacts:stats")),
            Page("Atom feed", "impacts:feed", reverse("impacts:feed")),
            Page("project feed", "impacts:project_feed", reverse("impacts:project_feed", kwargs=slug)),
            Page(
                "region feed", "impacts:region_feed", reverse("impacts:region_feed", kwargs={"region": targets.region})
            ),
            Page("API list", "report-list", "/api/reports/"),
            Page("report form", "impacts:report_create", reverse("impacts:report_create"), cacheable=False),
            Page("lost tracking link (form)", "impacts:track_lost", reverse("impacts:track_lost"), cacheable=False),
            Page("suggest a project (form)", "projects:suggest", reverse("projects:suggest"), cacheable=False),
            # The report form's lookups for a pin: answers per pin, no validators (the place is
            # cached for a day by max-age alone).
            Page(
                "report form: place of a pin",
                "impacts:report_place",
                f"{reverse('impacts:report_place')}?lat=51.72&lon=75.32",
                cacheable=False,
            ),
            Page(
                "report form: reports nearby",
                "impacts:report_nearby",
                f"{reverse('impacts:report_nearby')}?lat=51.72&lon=75.32&category=water",
                cacheable=False,
            ),
        ]
    after_list = listed.index(next(p for p in listed if p.label == LIST_PAGE)) + 1
    listed[after_list:after_list] = [
        *(
            [Page("list, next page (its link)", "impacts:report_list", targets.older_path)]
            if targets.older_path
            else []
        ),
        *(
            [Page(f"list, deep page ({DEEP_LABEL})", "impacts:report_list", targets.deep_path)]
            if targets.deep_path
            else []
        ),
        Page("list, old ?page=2500 link", "impacts:report_list", f"{report_list}?page=2500"),
    ]
    after_map = listed.index(next(p for p in listed if p.label == "/map/")) + 1
    listed[after_map:after_map] = [
        Page(f"map data, {view}", "impacts:map_points", path, map_data=True) for view, path in targets.map_data_paths
    ]
    return listed


# Links found in the pages ---------------------------------------------------------------------------

ANCHOR = re.compile(r"<a\s([^>]*)>(.*?)</a>", re.S | re.I)
HREF = re.compile(r'href="([^"]*)"')


def next_link(page_html: str) -> str:
    """The list's link to the next (older) page: rel="next", else a link reading "Older" or "Next"."""
    candidates = []
    for attributes, text in ANCHOR.findall(page_html):
        href = HREF.search(attributes)
        if not href:
            continue
        label = re.sub(r"<[^>]+>|\s+", " ", text).strip().lower()
        if re.search(r'\brel="[^"]*\bnext\b', attributes):
            return html.unescape(href.group(1))
        if label.startswith(("older", "next")):
            candidates.append(html.unescape(href.group(1)))
    return candidates[0] if candidates else ""


def page_numbers(page_html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="[^"]*[?&](?:amp;)?page=(\d+)', page_html)]


def with_query(path: str, current: str, **changes: str) -> str:
    """`path` (possibly only "?…") made absolute against `current`, with query values changed."""
    parts = urlsplit(path)
    base = urlsplit(current)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(("", "", parts.path or base.path, urlencode(query), ""))


KAZAKHSTAN = (46.5, 40.5, 87.5, 55.5)  # west, south, east, north: where static/js/map.js opens
# The views the map's script asks for (zoom, share of the opening view): the whole country as it
# opens on a desktop, a region, a town.
MAP_VIEWS = (("country, zoom 5", 5, 1.0), ("region, zoom 8", 8, 1 / 8), ("town, zoom 12", 12, 1 / 128))


def map_attribute(map_html: str, name: str) -> str:
    found = re.search(rf'\sdata-{name}="([^"]*)"', map_html)
    return html.unescape(found.group(1)) if found else ""


def map_data_paths(map_html: str, around: tuple[float, float] | None = None) -> tuple[tuple[str, str], ...]:
    """The requests the map page's script makes for its reports, one per view (MAP_VIEWS): its
    data-points-url with ?zoom=&bbox= as static/js/map.js adds them. An older map that fetched one
    GeoJSON document (data-geojson-url) has that one.

    The country view is the map's opening view; the others are centred on `around` (longitude,
    latitude) if given: a report present at every size, so that the town view is not empty at 1,000
    reports (about one report per square degree) while holding several at 100,000, and growth
    compares the same work (two queries, single reports drawn) rather than an empty answer."""
    points = map_attribute(map_html, "points-url")
    if not points:
        geojson = map_attribute(map_html, "geojson-url")
        return (("the GeoJSON it fetches", geojson),) if geojson else ()
    bounds = [float(v) for v in map_attribute(map_html, "bounds").split(",") if v.strip()] or list(KAZAKHSTAN)
    west, south, east, north = bounds
    opening = ((west + east) / 2, (south + north) / 2)
    views = []
    for label, zoom, share in MAP_VIEWS:
        middle_lon, middle_lat = opening if share == 1 or around is None else around
        half_width, half_height = (east - west) * share / 2, (north - south) * share / 2
        box = [middle_lon - half_width, middle_lat - half_height, middle_lon + half_width, middle_lat + half_height]
        query = f"zoom={zoom}&bbox=" + ",".join(f"{value:.4f}" for value in box)
        views.append((label, points + ("&" if "?" in points else "?") + query))
    return tuple(views)


def deep_path(first_html: str, list_path: str, fetch) -> str:
    """A page far down the list: with page numbers, 90% of the way to the last; with cursor links
    ("Older"), the page DEEP_STEPS links down (each followed as a visitor would)."""
    numbers = page_numbers(first_html)
    if numbers:
        return with_query(next_link(first_html) or "?", list_path, page=str(max(1, int(max(numbers) * 0.9))))
    path, body = list_path, first_html
    for _ in range(DEEP_STEPS):
        link = next_link(body)
        if not link:
            break
        path = with_query(link, path)
        body = fetch(path)
    return path if path != list_path else ""


# The server ----------------------------------------------------------------------------------------


def production_environment(var_dir: Path, database_url: str, cache_url: str, port: int) -> dict:
    """The live tests' production environment (tests/live/servers.py), on the bench's database and
    Redis, with bench.settings (the yardstick page) and the API open to any request rate."""
    from tests.live import servers

    env = servers.production_environment(var_dir, database_url, port, CACHE_URL=cache_url)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["DJANGO_ALLOWED_HOSTS"] = HOST
    return env


def start_gunicorn(env: dict, port: int, folder: Path):
    """gunicorn as the README runs it in production, with 2 workers (this machine's cores)."""
    from tests.live import servers

    command = [
        str(Path(sys.executable).parent / "gunicorn"), "kzcn.wsgi", "--bind", f"{HOST}:{port}",
        "--workers", "2", "--worker-class", "sync", "--timeout", "60",
    ]  # fmt: skip
    server = servers.Process(command, env, folder / "gunicorn.log")
    server.wait_until_answering(port)
    return server


def worker_peak_rss_mib(server) -> dict[int, float]:
    """Each gunicorn worker's peak resident memory (VmHWM), by pid."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = {}
    for pid in map(int, children):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = int(line.split()[1]) / 1024
    return peaks


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    from tests.live import servers

    return servers.request(port, "GET", path, tls=False, headers={**PROXY_HEADERS, **(headers or {})}, timeout=120)


def fetch_html(port: int, path: str) -> str:
    status, _, body = get(port, path)
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    return body.decode()


# The database ----------------------------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def owns(url: str) -> bool:
    """kzcn_bench and kzcn_bench_<anything> on PostgreSQL belong to this script."""
    name = database_name(url)
    return url.startswith("postgres") and (name == OWN_DATABASE or name.startswith(f"{OWN_DATABASE}_"))


def recreate_database(url: str, *, drop_only: bool = False, template: str = "") -> None:
    from tests.live import servers

    assert owns(url), url  # never drop a database that is not the bench's
    servers.drop_database(url)
    if not drop_only:
        import psycopg

        parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database_name(url)}"{copy}')


def setup_django(database_url: str, cache_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["CACHE_URL"] = cache_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("KZCN_VAR_DIR", str(ROOT / "var"))
    import django

    django.setup()


def flush_cache(cache_url: str) -> None:
    import redis

    redis.Redis.from_url(cache_url, socket_connect_timeout=2).flushdb()


def find_targets(static_path: str) -> Targets:
    """A report present at every size, the project with most reports, and its region."""
    from django.db.models import Count

    from projects.models import Project

    busiest = Project.objects.annotate(total=Count("reports")).order_by("-total", "slug").first()
    region = busiest.region or "pavlodar"
    return Targets(
        report_reference=f"{synthetic_reports.SYNTHETIC_PREFIX}{100:07d}",
        project_slug=busiest.slug,
        region=region,
        static_path=static_path,
        filters=full_page_filters(region),
    )


FILTER_CHOICES = (  # from the narrowest: region, category and date; then category and date
    "region={region}&category=water&observed_from=2021-01-01",
    "category=water&observed_from=2021-01-01",
)


def full_page_filters(region: str) -> str:
    """The narrowest of FILTER_CHOICES whose first page is full at the size measured first (the
    smallest). Growth then compares the same page: at 1,000 reports region, category and date
    match 7 reports, a third of a page, and its growth to 100,000 measured the page getting
    fuller (38.9 KB against 25.7 KB), not slower."""
    from django.http import QueryDict

    from impacts.filters import ImpactReportFilter
    from impacts.models import ImpactReport
    from impacts.views import REPORTS_PER_PAGE

    for choice in FILTER_CHOICES:
        query = choice.format(region=region)
        matches = ImpactReportFilter(QueryDict(query), queryset=ImpactReport.objects.published()).qs
        if matches.order_by().values("pk")[: REPORTS_PER_PAGE + 1].count() > REPORTS_PER_PAGE:
            return query
    return FILTER_CHOICES[-1].format(region=region)


def static_file_path(var_dir: Path) -> str:
    """The hashed name of the site's stylesheet, as production pages link it."""
    import json

    manifest = json.loads((var_dir / "staticfiles" / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["css/site.css"]


def discover(targets: Targets, port: int) -> Targets:
    """The links the pages render themselves: the list's "Older" link, a deep page, the map's data."""
    list_path = next(p for p in pages(targets) if p.label == LIST_PAGE).path
    first = fetch_html(port, list_path)
    older = next_link(first)
    map_page = next(p for p in pages(targets) if p.route == "impacts:map")
    return replace(
        targets,
        older_path=with_query(older, list_path) if older else "",
        deep_path=deep_path(first, list_path, lambda path: fetch_html(port, path)),
        map_data_paths=map_data_paths(fetch_html(port, map_page.path), report_position(targets.report_reference)),
    )


def report_position(reference: str) -> tuple[float, float] | None:
    """The public (longitude, latitude) of a report, if it has one."""
    from impacts.models import ImpactReport

    report = ImpactReport.objects.filter(reference=reference, public_latitude__isnull=False).first()
    return (float(report.public_longitude), float(report.public_latitude)) if report else None


# Measuring -------------------------------------------------------------------------------------------


def validators(headers: dict) -> dict[str, str]:
    """The conditional headers a browser or proxy would send for a stored copy of this answer."""
    if headers.get("etag"):
        return {"If-None-Match": headers["etag"]}
    if headers.get("last-modified"):
        return {"If-Modified-Since": headers["last-modified"]}
    return {}


@dataclass
class Site:
    """One size of the data: its own database and Redis database, and gunicorn serving them."""

    size: int
    database_url: str
    cache_url: str
    port: int
    folder: Path
    env: dict = field(default_factory=dict)
    server: object = None
    targets: Targets | None = None


def sized_database_url(url: str, size: int) -> str:
    """The database of one size: kzcn_bench_1000 for kzcn_bench and 1,000 reports."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database_name(url)}_{size}"))


def numbered_cache_url(url: str, offset: int) -> str:
    """The Redis database `offset` after the one named (db 7 → 8 for the second size)."""
    parts = urlsplit(url)
    number = int(parts.path.lstrip("/") or 0) + offset
    return urlunsplit(parts._replace(path=f"/{number}"))


def use_database(url: str) -> None:
    """Point this process's Django connection at another of the bench's databases (same server)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = database_name(url)


def measure_page(page: Page, result: PageResult, site: Site, args: argparse.Namespace, rounds: dict) -> None:
    """One round of one page at one size: cold, then drawn and cached if it may be cached. Each wrk
    run is added to `rounds` (kind → size → runs); the first round also reads status and bytes."""
    size, port = site.size, site.port
    if size not in result.bytes:
        status, headers, body = get(port, page.path)
        result.bytes[size] = len(body)
        if page.map_data:  # as nginx would send it compressed: for information, the goal is on the bytes above
            print(f"  {page.label} @{size:,}: {len(body):,} bytes, {len(gzip.compress(body)):,} gzipped ({page.path})")
        if status != 200:
            result.problems.append(f"answered {status} at {size:,}")
        result.validators[size] = validators(headers) if status == 200 else None
        if status == 200 and page.cacheable:
            check_conditional(page, result, site)
    conditional = result.validators[size]
    if conditional is None:
        return
    url = f"http://{HOST}:{port}{page.path}"
    seconds = args.seconds if page.cacheable else args.drawn_seconds
    cold = wrk.run(url, connections=args.connections, seconds=seconds, headers=PROXY_HEADERS)
    rounds["cold"].setdefault(size, []).append(cold)
    if not page.cacheable:
        return
    drawn = wrk.run(url, connections=args.connections, seconds=args.drawn_seconds, headers=PROXY_HEADERS,
                    fresh_query=True)  # fmt: skip
    rounds["drawn"].setdefault(size, []).append(drawn)
    if not conditional:
        return
    cached = wrk.run(url, connections=args.connections, seconds=args.cached_seconds,
                     headers={**PROXY_HEADERS, **conditional})  # fmt: skip
    rounds["cached"].setdefault(size, []).append(cached)


def check_conditional(page: Page, result: PageResult, site: Site) -> None:
    """A page anyone may share must carry validators and answer 304 to them."""
    conditional = result.validators.get(site.size)
    if not conditional:
        result.problems.append(f"no ETag or Last-Modified at {site.size:,}: cannot be cached")
        return
    status, _, _ = get(site.port, page.path, conditional)
    if status != 304:
        result.problems.append(f"a conditional request answered {status}, not 304, at {site.size:,}")
        result.validators[site.size] = {}


def record(result: PageResult, rounds: dict) -> None:
    """The rounds of each kind and size as one measurement each, and any unexpected answer."""
    for kind, expected in (("cold", "200"), ("drawn", "200"), ("cached", "304")):
        for size, runs in rounds[kind].items():
            measurement = wrk.combined(runs)
            getattr(result, kind)[size] = measurement
            if wrong := measurement.unexpected(expected):
                result.problems.append(f"{kind} at {size:,}: {wrong}")


def measure_export(port: int, path: str, server) -> str:
    """Stream one full export, as a download: time to the last byte, bytes, workers' peak memory."""
    from tests.live import servers

    before = worker_peak_rss_mib(server)
    began = time.perf_counter()
    connection = servers.connection(port, tls=False, timeout=300)
    try:
        connection.request("GET", path, headers={"Host": f"{HOST}:{port}", **PROXY_HEADERS})
        response = connection.getresponse()
        size, rows = 0, 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
            rows += chunk.count(b"\n")
    finally:
        connection.close()
    seconds = time.perf_counter() - began
    after = worker_peak_rss_mib(server)
    grew = max((after[pid] - before.get(pid, after[pid]) for pid in after), default=0.0)
    return (
        f"{path}: status {response.status}, {size / 2**20:,.1f} MiB ({size:,} bytes, {rows:,} lines) in "
        f"{seconds:.1f} s; workers' peak RSS {max(after.values(), default=0):.0f} MiB (+{grew:.0f} MiB during it)"
    )


def warm_up(listed: list[Page], port: int) -> None:
    """Each page twice at once, so that both workers have loaded its code and templates before wrk."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for page in listed:
            list(pool.map(lambda path: get(port, path), [page.path, page.path]))


def listed_pages(targets: Targets, only: str) -> list[Page]:
    wanted = [part.strip().lower() for part in only.split(",")]
    yardsticks = (BASELINE, STATIC_FILE)
    return [p for p in pages(targets) if any(w in p.label.lower() for w in wanted) or p.label in yardsticks]


def measure_sites(sites: list[Site], results: dict, args) -> None:
    """Every page at every size, in turn: the sizes alternate page by page, and within a page round
    by round (small, large, then large, small), so that the machine's drift over minutes (on a
    shared VM, ±35% between two phases measured three minutes apart) falls on both sizes alike and
    cancels out of the growth, instead of passing for it."""
    by_size = {site.size: {page.label: page for page in listed_pages(site.targets, args.only)} for site in sites}
    for site in sites:
        warm_up(list(by_size[site.size].values()), site.port)
    labels = list(dict.fromkeys(label for site in sites for label in by_size[site.size]))
    for label in labels:
        some = next(by_size[site.size][label] for site in sites if label in by_size[site.size])
        result = results.setdefault(label, PageResult(label, cacheable=some.cacheable, map_data=some.map_data))
        rounds = {"cold": {}, "drawn": {}, "cached": {}}
        for number in range(args.rounds):
            for site in sites if number % 2 == 0 else reversed(sites):
                if page := by_size[site.size].get(label):
                    measure_page(page, result, site, args, rounds)
        record(result, rounds)
        shown = "  ".join(
            f"@{size:,}: p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms, {run.per_second:.0f} req/s"
            for size, run in sorted(result.cold.items())
        )
        print(f"  {label:<44} {shown or '—'}", flush=True)


def explain_searches() -> None:
    from impacts.filters import ImpactReportFilter
    from impacts.models import ImpactReport

    for word in (synthetic_reports.COMMON_WORD, synthetic_reports.RARE_WORD):
        queryset = ImpactReportFilter({"q": word}, queryset=ImpactReport.objects.published()).qs
        print(f"EXPLAIN ANALYZE of the search for {word!r} (first page):")
        print("   " + queryset[:20].explain(analyze=True).replace("\n", "\n   "))


def busy_warning() -> str:
    """A warning, before the run, when other processes compete for the CPUs: the absolute figures
    are then inflated (and noisy), and the ratio to the baseline, measured under the same load, is
    the fairer one."""
    if os.getloadavg()[0] <= (os.cpu_count() or 1):
        return ""
    return (
        "WARNING: the load average is above the number of CPUs: other processes share them, so the "
        "milliseconds and req/s measured are inflated; compare pages by their ratio to the baseline."
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} CPUs)"


def prepare(sites: list[Site]) -> None:
    """Each size's database, smallest first: the first migrated with the catalogue loaded, each next
    one a copy of the one before to which the difference in reports is added (so the first reports
    are the same rows at every size, and none is written twice)."""
    from django.core.management import call_command

    from tests.live import servers

    rng, seeded, previous = random.Random(16), 0, None
    for site in sites:
        if previous:
            use_database(previous.database_url)  # closes this process's connection: the copy needs none
            recreate_database(site.database_url, template=database_name(previous.database_url))
        use_database(site.database_url)
        if not previous:
            call_command("migrate", verbosity=0)
            call_command("import_projects", verbosity=0)
        seconds = synthetic_reports.seed(site.size - seeded, seeded, rng, owned=True)
        seeded, previous = site.size, site
        flush_cache(site.cache_url)
        (site.folder / "var").mkdir(parents=True)
        site.env = production_environment(site.folder / "var", site.database_url, site.cache_url, site.port)
        servers.manage(site.env, "collectstatic", "--noinput")
        print(f"=== {site.size:,} published reports (loaded and written out in {seconds:.0f} s)", flush=True)


def run(args: argparse.Namespace, database_url: str, cache_url: str, folder: Path) -> int:
    from tests.live import servers

    sizes = sorted(set(args.sizes))
    sites = [
        Site(size, sized_database_url(database_url, size), numbered_cache_url(cache_url, index),
             servers.free_port(), folder / f"{size}")
        for index, size in enumerate(sizes)
    ]  # fmt: skip
    print(
        f"Databases {', '.join(database_name(s.database_url) for s in sites)} (PostgreSQL), Redis "
        f"{', '.join(s.cache_url for s in sites)}, gunicorn 2 workers each, wrk {args.connections} connections, "
        f"{args.rounds} rounds a page and size of {args.seconds:g} s cold, {args.drawn_seconds:g} s drawn (and "
        f"for pages never kept) and {args.cached_seconds:g} s cached"
    )
    exports = []
    try:
        prepare(sites)
        use_database(sites[0].database_url)  # the smallest: the filters whose first page is full there
        targets = find_targets(static_file_path(sites[0].folder / "var"))
        for site in sites:
            site.server = start_gunicorn(site.env, site.port, site.folder)
            use_database(site.database_url)
            site.targets = discover(targets, site.port)
        print(f"Load before measuring: {load_average()}", flush=True)
        results: dict[str, PageResult] = {}
        measure_sites(sites, results, args)
        largest = sites[-1]
        if not args.only:
            for other in sites[:-1]:  # the export alone on the machine
                other.server.stop()
                other.server = None
            exports = [measure_export(largest.port, path, largest.server) for path in export_paths()]
    finally:
        for site in sites:
            if site.server:
                site.server.stop()
    if args.explain:
        use_database(sites[-1].database_url)
        explain_searches()
    return report(list(results.values()), sizes, exports)


def export_paths() -> list[str]:
    from django.urls import reverse
    from django.utils import translation

    with translation.override(LANGUAGE):
        return [reverse("impacts:report_export_csv"), reverse("impacts:report_export_geojson")]


def report(results: list[PageResult], sizes: list[int], exports: list[str]) -> int:
    print("\n" + goals.table(results, sizes))
    for line in exports:
        print(line)
    verdicts = goals.evaluate(results, sizes)
    print("\nGoals of issue 16:\n" + goals.verdict_lines(verdicts))
    return goals.exit_status(verdicts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    cache_url = os.environ.get("BENCH_CACHE_URL") or DEFAULT_CACHE_URL
    if not owns(database_url):
        raise SystemExit(f"BENCH_DATABASE_URL must name a PostgreSQL database kzcn_bench[_…]: {database_url}")
    wrk.wrk_path()
    print(f"Load average at the start: {load_average()}")
    if warning := busy_warning():
        print(warning)
    sized = [sized_database_url(database_url, size) for size in sorted(set(args.sizes))]
    caches = [numbered_cache_url(cache_url, index) for index in range(len(sized))]
    recreate_database(sized[0])
    setup_django(sized[0], caches[0])
    began = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="kzcn-bench-") as folder:
            status = run(args, database_url, cache_url, Path(folder))
    finally:
        from django.db import connection

        connection.close()
        for url in caches:
            flush_cache(url)
        if not args.keep:
            for url in sized:
                recreate_database(url, drop_only=True)
    # Not judged at the end: the run's own wrk, gunicorn workers and PostgreSQL keep both CPUs busy,
    # so the load it leaves says nothing of other processes (the load at the start does).
    print(
        f"\nLoad average at the end: {load_average()}, mostly this run's own; the run took "
        f"{time.perf_counter() - began:.0f} s"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
