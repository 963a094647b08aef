"""`make bench`: the public pages as visitors feel them, at 1,000 and 100,000 published reports.

    make bench                  # about 8 minutes on an idle machine; exit status 1 when a goal is missed
    .venv/bin/python bench/public_pages.py --sizes 1000 --seconds 2      # a quick look

What it does, on 127.0.0.1 only:
1. Recreates the PostgreSQL database ``kzcn_bench`` (BENCH_DATABASE_URL; the name must start with
   kzcn_bench, which the script owns and drops at the end unless --keep), migrates it, loads the
   catalogue and flushes its Redis database (BENCH_CACHE_URL, db 7 by default).
2. For each size, adds synthetic published reports (bench/synthetic_reports.py: "water" in 57% of
   them, "cyanide" in 2%), VACUUM ANALYZE and CHECKPOINT, flushes Redis (a new site version: no stale copy or
   summary), and starts gunicorn as in production (DJANGO_DEBUG=0, 2 sync workers, Redis cache) with
   bench.settings, which only adds the yardstick page (bench/urls.py).
3. Every public page (`pages()` below; MEASURED_ROUTES and NOT_MEASURED account for every route of
   impacts/urls.py and projects/urls.py, as tests/test_bench_harness.py checks) is fetched once (its
   status, its bytes and its validators), then loaded by `wrk` with 4 connections for a fixed time:
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
from dataclasses import dataclass, replace
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
    parser.add_argument("--seconds", type=int, default=3, help="wrk's run per page, cold")
    parser.add_argument("--cached-seconds", type=int, default=2, help="wrk's run per page, cached")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--only", default="", help="measure only the pages whose label contains this (or one of these, comma-separated)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the kzcn_bench database afterwards")
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


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    from tests.live import servers

    assert owns(url), url  # never drop a database that is not the bench's
    servers.drop_database(url)
    if not drop_only:
        import psycopg

        parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
        with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database_name(url)}"')


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


def measure_page(page: Page, result: PageResult, size: int, port: int, args: argparse.Namespace) -> None:
    status, headers, body = get(port, page.path)
    result.bytes[size] = len(body)
    if page.map_data:  # as nginx would send it compressed: for information, the goal is on the bytes above
        print(f"  {page.label}: {len(body):,} bytes, {len(gzip.compress(body)):,} gzipped ({page.path})")
    if status != 200:
        result.problems.append(f"answered {status} at {size:,}")
        return
    url = f"http://{HOST}:{port}{page.path}"
    cold = wrk.run(url, connections=args.connections, seconds=args.seconds, headers=PROXY_HEADERS)
    result.cold[size] = cold
    if wrong := cold.unexpected("200"):
        result.problems.append(f"cold at {size:,}: {wrong}")
    if page.cacheable:
        measure_drawn(page, result, size, port, args)
        measure_cached(page, result, size, port, headers, args)


def measure_drawn(page: Page, result: PageResult, size: int, port: int, args) -> None:
    """The page drawn by its view every time: each request's query is one no kept copy answers."""
    url = f"http://{HOST}:{port}{page.path}"
    drawn = wrk.run(url, connections=args.connections, seconds=args.cached_seconds, headers=PROXY_HEADERS,
                    fresh_query=True)  # fmt: skip
    result.drawn[size] = drawn
    if wrong := drawn.unexpected("200"):
        result.problems.append(f"drawn at {size:,}: {wrong}")


def measure_cached(page: Page, result: PageResult, size: int, port: int, headers: dict, args) -> None:
    conditional = validators(headers)
    if not conditional:
        result.problems.append(f"no ETag or Last-Modified at {size:,}: cannot be cached")
        return
    status, _, _ = get(port, page.path, conditional)
    if status != 304:
        result.problems.append(f"a conditional request answered {status}, not 304, at {size:,}")
        return
    url = f"http://{HOST}:{port}{page.path}"
    cached = wrk.run(url, connections=args.connections, seconds=args.cached_seconds,
                     headers={**PROXY_HEADERS, **conditional})  # fmt: skip
    result.cached[size] = cached
    if wrong := cached.unexpected("304"):
        result.problems.append(f"cached at {size:,}: {wrong}")


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


def measure_size(size: int, targets: Targets, results: dict, port: int, args) -> list[Page]:
    wanted = [part.strip().lower() for part in args.only.split(",")]
    listed = [
        p for p in pages(targets) if any(w in p.label.lower() for w in wanted) or p.label in (BASELINE, STATIC_FILE)
    ]
    warm_up(listed, port)
    for page in listed:
        result = results.setdefault(
            page.label, PageResult(page.label, cacheable=page.cacheable, map_data=page.map_data)
        )
        measure_page(page, result, size, port, args)
        cold = result.cold.get(size)
        shown = f"p50 {cold.p50_ms:.1f} ms, p95 {cold.p95_ms:.1f} ms, {cold.per_second:.0f} req/s" if cold else "—"
        print(f"  {page.label:<44} {shown}  {result.bytes.get(size, 0):>10,} B  {page.path}", flush=True)
    return listed


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


def run(args: argparse.Namespace, database_url: str, cache_url: str, folder: Path) -> int:
    from django.core.management import call_command
    from django.db import connection

    from tests.live import servers

    port = servers.free_port()
    env = production_environment(folder / "var", database_url, cache_url, port)
    (folder / "var").mkdir()
    call_command("migrate", verbosity=0)
    call_command("import_projects", verbosity=0)
    servers.manage(env, "collectstatic", "--noinput")
    print(
        f"Database {connection.settings_dict['NAME']} (PostgreSQL), Redis {cache_url}, gunicorn 2 workers, wrk "
        f"{args.connections} connections, {args.seconds:g} s a page (cached {args.cached_seconds:g} s)"
    )
    rng, seeded, results, exports = random.Random(16), 0, {}, []
    targets = None
    for size in sorted(args.sizes):
        seconds = synthetic_reports.seed(size - seeded, seeded, rng, owned=True)
        seeded = size
        connection.close()
        flush_cache(cache_url)
        print(f"\n=== {size:,} published reports (loaded and written out in {seconds:.0f} s); load {load_average()}")
        targets = targets or find_targets(static_file_path(folder / "var"))
        server = start_gunicorn(env, port, folder)
        try:
            measure_size(size, discover(targets, port), results, port, args)
            if size == max(args.sizes) and not args.only:
                exports = [measure_export(port, path, server) for path in export_paths()]
        finally:
            server.stop()
    if args.explain:
        explain_searches()
    return report(list(results.values()), sorted(args.sizes), exports)


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
    recreate_database(database_url)
    flush_cache(cache_url)
    setup_django(database_url, cache_url)
    began = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="kzcn-bench-") as folder:
            status = run(args, database_url, cache_url, Path(folder))
    finally:
        from django.db import connection

        connection.close()
        flush_cache(cache_url)
        if not args.keep:
            recreate_database(database_url, drop_only=True)
    # Not judged at the end: the run's own wrk, gunicorn workers and PostgreSQL keep both CPUs busy,
    # so the load it leaves says nothing of other processes (the load at the start does).
    print(
        f"\nLoad average at the end: {load_average()}, mostly this run's own; the run took "
        f"{time.perf_counter() - began:.0f} s"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
