"""`make bench` (bench/public_pages.py) without timing anything: that a missed goal makes it fail, that it
reads wrk's numbers right, that it loads every public page, and that its data and yardstick are what
they claim to be. The timings themselves come only from a real run."""

import random
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, resolve

from bench import goals, public_pages, synthetic_reports, wrk
from bench.goals import BASELINE, LIST_PAGE, STATIC_FILE, PageResult
from impacts import urls as impacts_urls
from projects import urls as projects_urls
from tests.reports import make_report, make_site_project


def measured(p50: float, p95: float | None = None, *, requests: int = 400, statuses=None) -> wrk.Measurement:
    return wrk.Measurement(
        requests=requests, seconds=4.0, p50_ms=p50, p95_ms=p95 if p95 is not None else p50 * 1.5,
        p99_ms=(p95 or p50) * 2, max_ms=(p95 or p50) * 3, statuses=statuses or {"200": requests},
    )  # fmt: skip


def healthy_results() -> list[PageResult]:
    """A run that meets every goal: 1,000 and 100,000 reports, a static file at 1 ms."""
    static = PageResult(STATIC_FILE, cold={1000: measured(1.0), 100000: measured(1.0)}, cacheable=False)
    base = PageResult(BASELINE, cold={1000: measured(8.0), 100000: measured(8.0)}, cacheable=False)
    listing = PageResult(
        LIST_PAGE,
        cold={1000: measured(20.0, 40.0), 100000: measured(22.0, 45.0, requests=800)},  # 200 req/s
        cached={1000: measured(1.5, statuses={"304": 400}), 100000: measured(1.6, statuses={"304": 400})},
        drawn={1000: measured(30.0, 50.0), 100000: measured(36.0, 60.0)},
        bytes={1000: 37_000, 100000: 37_500},
    )
    points = PageResult(
        "map data, country",
        cold={1000: measured(10.0), 100000: measured(12.0)},
        cached={1000: measured(1.5), 100000: measured(1.5)},
        bytes={1000: 20_000, 100000: 60_000},
        map_data=True,
    )
    return [base, static, listing, points]


SIZES = [1000, 100000]


def verdict(results, goal_start: str) -> goals.Verdict:
    return next(v for v in goals.evaluate(results, SIZES) if v.goal.startswith(goal_start))


# The goals ---------------------------------------------------------------------------------------


def test_a_run_that_meets_every_goal_passes_and_exits_zero():
    verdicts = goals.evaluate(healthy_results(), SIZES)
    assert [v.word for v in verdicts] == ["PASS"] * 6
    assert goals.exit_status(verdicts) == 0


@pytest.mark.parametrize(
    "spoil, goal",
    [
        (lambda r: r[2].cold.update({100000: measured(22.0, 151.0, requests=800)}), "p95"),
        (lambda r: r[2].cached.update({100000: measured(1.6, 160.0, statuses={"304": 400})}), "p95"),
        (lambda r: r[3].cold.update({100000: measured(13.5)}), "growth"),  # 10 → 13.5 ms: 1.35×
        (lambda r: r[2].drawn.update({100000: measured(40.0, 60.0)}), "growth"),  # drawn 30 → 40 ms: 1.33×
        (lambda r: r[2].drawn.update({100000: measured(36.0, 151.0)}), "p95"),
        (lambda r: r[3].bytes.update({100000: 200_000}), "map data"),
        (lambda r: r[2].cached.update({100000: measured(2.5, statuses={"304": 400})}), "cached"),
        (lambda r: r[2].cached.clear(), "cached"),  # a page that could not be cached at all
        (lambda r: r[2].cold.update({100000: measured(22.0, 45.0, requests=600)}), "/reports/"),  # 150 req/s
        (lambda r: r[2].problems.append("cold at 100,000: {'500': 3}"), "every answer"),
    ],
)
def test_each_missed_goal_fails_the_run_with_a_non_zero_exit(spoil, goal):
    results = healthy_results()
    spoil(results)
    verdicts = goals.evaluate(results, SIZES)
    assert verdict(results, goal).passed is False
    assert [v.goal for v in verdicts if v.passed is False] == [verdict(results, goal).goal]
    assert goals.exit_status(verdicts) == 1


def test_a_map_that_names_no_data_address_misses_the_map_goal():
    results = [r for r in healthy_results() if not r.map_data]
    assert verdict(results, "map data").passed is False


def test_the_yardsticks_are_not_held_to_the_page_goals():
    results = healthy_results()
    results[0].cold[100000] = measured(300.0, 400.0)  # a slow baseline says the machine is busy
    assert verdict(results, "p95").passed is True
    assert verdict(results, "growth").passed is True


def test_growth_is_not_judged_with_one_size_and_that_is_not_a_failure():
    results = healthy_results()
    verdicts = goals.evaluate(results, [100000])
    assert next(v for v in verdicts if v.goal.startswith("growth")).passed is None
    assert goals.exit_status(verdicts) == 0


def test_the_table_shows_both_sizes_growth_ratio_to_the_baseline_and_bytes():
    text = goals.table(healthy_results(), SIZES)
    header, _, *rows = text.splitlines()
    assert "p50 / p95 ms @1,000" in header and "p50 / p95 ms @100,000" in header
    reports_row = next(row for row in rows if row.startswith(LIST_PAGE))
    assert "20.0 / 40.0" in reports_row and "22.0 / 45.0" in reports_row
    assert "1.10×" in reports_row  # growth 22 / 20
    assert "2.8×" in reports_row  # 22 ms / the baseline's 8 ms
    assert "37,500" in reports_row and "200" in reports_row  # bytes, req/s
    assert any(row.strip().startswith("↳ cached (304)") for row in rows)


# wrk ----------------------------------------------------------------------------------------------

WRK_OUTPUT = """Running 4s test @ http://127.0.0.1:8123/en/reports/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.40ms    5.10ms  80.00ms   90.00%
  800 requests in 4.00s, 29.00MB read
Requests/sec:    200.00
BENCH-RESULT {"requests": 800, "duration_us": 4000000, "bytes": 30000000, "p50_us": 20500, "p95_us": 31250, \
"p99_us": 60000, "max_us": 80000, "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 1, "status": 2}, \
"statuses": {"200": 797, "500": 2}}
"""


def test_wrk_output_is_read_into_percentiles_rate_and_statuses():
    result = wrk.parse(WRK_OUTPUT)
    assert (result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms) == (20.5, 31.25, 60.0, 80.0)
    assert result.per_second == 200.0
    assert result.unexpected("200") == {"500": 2, "socket errors or timeouts": 1}


def test_a_run_without_any_response_is_unexpected_and_a_missing_summary_is_an_error():
    silent = wrk.Measurement(requests=0, seconds=4.0, p50_ms=0, p95_ms=0, p99_ms=0, max_ms=0)
    assert "no response within the run" in silent.unexpected("200")
    with pytest.raises(ValueError, match="BENCH-RESULT"):
        wrk.parse("Running 4s test @ http://127.0.0.1:1/\n")


def test_wrk_is_told_the_connections_duration_script_and_headers():
    command = wrk.command("http://127.0.0.1:1/en/", connections=4, seconds=4, headers={"If-None-Match": 'W/"x"'})
    assert command[1:4] == ["-t2", "-c4", "-d4s"]
    assert str(wrk.SCRIPT) in command and command[-2:] == ["--", 'If-None-Match: W/"x"']
    assert "function done(" in wrk.SCRIPT.read_text() and "percentile(95)" in wrk.SCRIPT.read_text()


def test_the_rounds_of_a_page_make_one_measurement_weighted_by_their_requests():
    slow = wrk.Measurement(requests=100, seconds=1.0, p50_ms=40.0, p95_ms=80.0, p99_ms=90.0, max_ms=120.0,
                           statuses={"200": 100})  # fmt: skip
    fast = wrk.Measurement(requests=300, seconds=1.0, p50_ms=20.0, p95_ms=40.0, p99_ms=50.0, max_ms=60.0,
                           statuses={"200": 299, "500": 1}, socket_errors=2)  # fmt: skip
    both = wrk.combined([slow, fast])
    assert (both.requests, both.seconds, both.per_second) == (400, 2.0, 200.0)
    assert (both.p50_ms, both.p95_ms, both.p99_ms, both.max_ms) == (25.0, 50.0, 60.0, 120.0)
    assert both.statuses == {"200": 399, "500": 1} and both.socket_errors == 2
    assert both.unexpected("200") == {"500": 1, "socket errors or timeouts": 2}  # an error in any round counts
    assert wrk.combined([slow]) is slow


def test_each_drawn_run_asks_for_queries_no_earlier_run_asked_for():
    """A second round of a drawn page must not repeat the first round's queries: the server kept
    those pages, and would answer them without running the view."""
    url, headers = "http://127.0.0.1:1/en/reports/", {"X-Forwarded-Proto": "https"}
    first, second = (wrk.command(url, connections=4, seconds=1, headers=headers, fresh_query=True) for _ in "12")
    marks = [next(arg for arg in command if arg.startswith("fresh-query=")) for command in (first, second)]
    assert marks[0] != marks[1]
    assert "drawn=%s-%d-%d" in wrk.SCRIPT.read_text()  # the run's mark, the thread, the request


def test_each_size_has_its_own_database_and_redis_database_that_the_bench_owns():
    url = "postgres://postgres@127.0.0.1:5432/kzcn_bench"
    assert public_pages.sized_database_url(url, 1000) == "postgres://postgres@127.0.0.1:5432/kzcn_bench_1000"
    assert public_pages.owns(public_pages.sized_database_url(url, 100_000))
    assert public_pages.numbered_cache_url("redis://127.0.0.1:6379/7", 0) == "redis://127.0.0.1:6379/7"
    assert public_pages.numbered_cache_url("redis://127.0.0.1:6379/7", 1) == "redis://127.0.0.1:6379/8"


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_sizes_take_turns_page_by_page_and_round_by_round(monkeypatch, tmp_path):
    """Both sizes are served at once and measured in alternation (small, large; large, small), so
    that the machine's drift over minutes falls on both sizes alike instead of passing for growth."""
    turns = []

    def measure_page(page, result, site, args, rounds):
        turns.append((page.label, site.size))
        rounds["cold"].setdefault(site.size, []).append(measured(10.0 + len(turns)))

    monkeypatch.setattr(public_pages, "measure_page", measure_page)
    monkeypatch.setattr(public_pages, "warm_up", lambda listed, port: None)
    sites = [
        public_pages.Site(size, f"postgres:///kzcn_bench_{size}", "redis:///7", 0, tmp_path, targets=TARGETS)
        for size in (1000, 100_000)
    ]
    args = public_pages.parse_args(["--only", "search rare", "--rounds", "2"])
    results = {}
    public_pages.measure_sites(sites, results, args)
    labels = list(dict.fromkeys(label for label, _ in turns))
    assert labels == [BASELINE, STATIC_FILE, next(label for label in labels if label.startswith("search rare"))]
    for label in labels:
        assert [size for seen, size in turns if seen == label] == [1000, 100_000, 100_000, 1000]
    rare = results[labels[-1]]
    # Its turns were the 9th to the 12th: a steady drift (+1 ms a turn) gives both sizes the same mean.
    assert rare.cold[1000].p50_ms == (19.0 + 22.0) / 2 == rare.cold[100_000].p50_ms == (20.0 + 21.0) / 2


# The pages ----------------------------------------------------------------------------------------


def route_names(module) -> set[str]:
    names = set()
    for pattern in module.urlpatterns:
        assert isinstance(pattern, URLPattern | URLResolver)
        names.add(f"{module.app_name}:{pattern.name}")
    return names


TARGETS = public_pages.Targets(
    report_reference="BENCH-0000100",
    project_slug="some-plant",
    region="pavlodar",
    static_path="/static/css/site.css",
    older_path="/en/reports/?after=2_2025-09-30_316",
    deep_path="/en/reports/?after=21_2023-02-25_810",
    map_data_paths=(("country, zoom 5", "/en/map/points.json?zoom=5&bbox=46.5,40.5,87.5,55.5"),),
)


def test_every_public_route_is_measured_or_excused_with_a_reason():
    """A new page in impacts/urls.py or projects/urls.py fails this until the bench loads it (or says why not)."""
    routes = route_names(impacts_urls) | route_names(projects_urls)
    forgotten = routes - set(public_pages.MEASURED_ROUTES) - set(public_pages.NOT_MEASURED)
    assert not forgotten, f"add these to bench/public_pages.py (PAGES or NOT_MEASURED): {sorted(forgotten)}"
    assert not set(public_pages.MEASURED_ROUTES) & set(public_pages.NOT_MEASURED)
    assert all(reason.strip() for reason in public_pages.NOT_MEASURED.values())


@override_settings(ROOT_URLCONF="bench.urls")
def test_every_measured_route_has_a_page_that_its_path_resolves_to():
    loaded = public_pages.pages(TARGETS)
    exports = {"impacts:report_export_csv", "impacts:report_export_geojson"}  # measured once, not under wrk
    resolved = {
        f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        for match in (resolve(urlsplit(page.path).path) for page in loaded if page.label != STATIC_FILE)
    }
    assert set(public_pages.MEASURED_ROUTES) - exports <= resolved
    for page in loaded:
        if page.label != STATIC_FILE and page.route != "report-list":
            match = resolve(urlsplit(page.path).path)
            assert page.route.split(":")[-1] == match.url_name, page
    labels = [page.label for page in loaded]
    assert len(labels) == len(set(labels))
    assert {"home", LIST_PAGE, "/stats/", "/map/", "Atom feed", "API list", "report page", "project page"} <= set(
        labels
    )
    assert any("q=water" in page.path for page in loaded) and any("q=cyanide" in page.path for page in loaded)
    assert any(page.map_data for page in loaded)


def test_the_next_link_is_found_by_rel_or_by_its_words():
    keyset = '<a class="page-link" href="?q=&amp;after=2_2025-09-30_316" rel="next">Next</a>'
    assert public_pages.next_link(keyset) == "?q=&after=2_2025-09-30_316"
    worded = '<a href="/en/reports/?page=1">1</a> <a class="x" href="/en/reports/?page=2"><span>Older</span></a>'
    assert public_pages.next_link(worded) == "/en/reports/?page=2"
    assert public_pages.next_link('<a href="/en/">Home</a>') == ""


def test_a_numbered_list_goes_nine_tenths_down_and_a_cursor_list_follows_its_links():
    numbered = '<a href="?page=2" rel="next">Next</a><a href="?page=2">2</a><a href="?page=5000">5000</a>'
    assert public_pages.deep_path(numbered, "/en/reports/", fetch=None) == "/en/reports/?page=4500"
    fetched = []

    def fetch(path):
        fetched.append(path)
        number = int(dict(parse_qsl(urlsplit(path).query))["after"]) + 1
        return f'<a href="?after={number}" rel="next">Next</a>'

    first = '<a href="?after=1" rel="next">Next</a>'
    assert public_pages.deep_path(first, "/en/reports/", fetch) == f"/en/reports/?after={public_pages.DEEP_STEPS}"
    assert len(fetched) == public_pages.DEEP_STEPS


def test_the_map_data_is_asked_for_as_the_map_script_asks_for_it():
    html = '<div id="report-map" data-points-url="/en/map/points.json?category=water" data-bounds="" data-url="/x/">'
    views = dict(public_pages.map_data_paths(html))
    assert len(views) == len(public_pages.MAP_VIEWS)
    country = views["country, zoom 5"]
    assert country == "/en/map/points.json?category=water&zoom=5&bbox=46.5000,40.5000,87.5000,55.5000"
    assert public_pages.map_data_paths('<div data-geojson-url="/en/reports/export.geojson">') == (
        ("the GeoJSON it fetches", "/en/reports/export.geojson"),
    )


def test_smaller_map_views_are_centred_on_a_report_present_at_every_size():
    html = '<div id="report-map" data-points-url="/en/map/points.json" data-bounds="" data-url="/x/">'
    views = dict(public_pages.map_data_paths(html, around=(67.0, 48.0)))
    assert views["country, zoom 5"].endswith("bbox=46.5000,40.5000,87.5000,55.5000")  # the opening view
    west, south, east, north = (float(v) for v in views["town, zoom 12"].split("bbox=")[1].split(","))
    assert west < 67.0 < east and south < 48.0 < north


@pytest.mark.django_db
def test_the_filtered_list_is_a_filter_that_fills_its_first_page_at_the_smallest_size():
    import datetime

    def water(region: str, count: int) -> None:
        for number in range(count):
            make_report(status="published", region=region, categories=["water"],
                        observed_on=datetime.date(2022, 1, 1), public_title=f"{region} {number}")  # fmt: skip

    water("pavlodar", 5)
    water("atyrau", 20)  # region, category and date: 5 (a quarter of a page); category and date: 25
    assert public_pages.full_page_filters("pavlodar") == "category=water&observed_from=2021-01-01"
    water("pavlodar", 20)
    assert public_pages.full_page_filters("pavlodar") == "region=pavlodar&category=water&observed_from=2021-01-01"


def test_the_bench_refuses_any_database_but_its_own():
    assert public_pages.owns("postgres://postgres@127.0.0.1:5432/kzcn_bench")
    assert public_pages.owns("postgres://postgres@127.0.0.1:5432/kzcn_bench_perf")
    assert not public_pages.owns("postgres://postgres@127.0.0.1:5432/kzcn")
    assert not public_pages.owns("sqlite:///var/kzcn_bench.sqlite3")


# The data and the yardstick ---------------------------------------------------------------------------


def test_the_common_word_is_in_about_57_percent_of_texts_and_the_rare_one_in_about_2():
    rng = random.Random(16)
    texts = [synthetic_reports.public_text(rng).lower() for _ in range(5000)]
    common = sum(synthetic_reports.COMMON_WORD in text for text in texts) / len(texts)
    rare = sum(synthetic_reports.RARE_WORD in text for text in texts) / len(texts)
    assert 0.54 < common < 0.60 and 0.012 < rare < 0.028
    others = synthetic_reports.SENTENCES_EN + synthetic_reports.SENTENCES_RU + synthetic_reports.SENTENCES_KK
    assert not any(
        word in sentence.lower() for sentence in others + synthetic_reports.TITLES for word in ("water", "cyanide")
    )


def test_the_measured_project_fills_its_timeline_already_at_the_smallest_size():
    """Growth compares the same pages: the busiest project has more reports than its timeline
    shows (projects.timeline.REPORTS_SHOWN) at 1,000 reports, not only at 100,000."""
    from types import SimpleNamespace

    from django.utils import timezone

    from projects.timeline import REPORTS_SHOWN

    catalogue = [SimpleNamespace(pk=pk, region="pavlodar") for pk in range(1, 30)]  # 29 projects, in slug order
    rng, now = random.Random(5), timezone.now()
    tied = Counter(synthetic_reports.synthetic_values(n, rng, catalogue, now)["project_id"] for n in range(1, 1001))
    del tied[None]  # unlisted sites
    assert tied.most_common(1)[0][0] == 1
    assert tied[1] > 2 * REPORTS_SHOWN


@pytest.mark.django_db
def test_the_synthetic_values_make_a_valid_published_report():
    project = make_site_project()
    from django.utils import timezone

    from impacts.models import ImpactReport

    values = synthetic_reports.synthetic_values(7, random.Random(1), [project], timezone.now())
    report = ImpactReport(**values)
    report.full_clean(exclude=["submission_key"])
    report.save()
    assert ImpactReport.objects.published().filter(pk=report.pk).exists()


@pytest.mark.django_db
def test_the_yardstick_renders_the_site_template_with_one_query_and_is_not_a_site_address(
    client, django_assert_num_queries
):
    from django.urls import NoReverseMatch, reverse

    make_report(status="published")
    with override_settings(ROOT_URLCONF="bench.urls"), django_assert_num_queries(1):
        response = client.get("/bench-baseline/")
    assert response.status_code == 200
    assert b"KZCN Watch" in response.content and b"<footer" in response.content
    assert client.get("/bench-baseline/").status_code in (301, 302, 404)  # the site's own URLconf
    with pytest.raises(NoReverseMatch):
        reverse("bench_baseline")


def test_after_loading_the_bench_writes_the_pages_out_and_goes_on_where_it_may_not(capsys):
    from django.db import DatabaseError

    class Cursor:
        def __init__(self, refuse: bool):
            self.refuse, self.executed = refuse, []

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql):
            if self.refuse:
                raise DatabaseError("permission denied to execute CHECKPOINT command\n")
            self.executed.append(sql)

    class Connection:
        def __init__(self, refuse: bool):
            self.made = Cursor(refuse)

        def cursor(self):
            return self.made

    allowed = Connection(refuse=False)
    synthetic_reports.checkpoint(allowed)
    assert allowed.made.executed == ["CHECKPOINT"]
    synthetic_reports.checkpoint(Connection(refuse=True))  # a role without the right: no crash
    said = capsys.readouterr().out
    assert said == "  (no CHECKPOINT after loading: permission denied to execute CHECKPOINT command)\n"
