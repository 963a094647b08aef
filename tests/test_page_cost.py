"""What a public page costs the server: a repeat anonymous visit is answered from a kept copy with no
SQL, and nothing personal, single-use or stale is ever kept (issue 16, kzcn.page_cache)."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from impacts import workflow
from kzcn import page_cache
from kzcn.freshness import public_page
from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.KZCN_PAGE_CACHE = True  # as in production (off in development and other tests)


@pytest.fixture
def site():
    project = make_project(name_en="Shymkent Oil Refinery", region="kyzylorda")
    report = make_report(
        project=project,
        status="published",
        published_at=timezone.now(),
        region="kyzylorda",
        public_title="Black dust on the houses",
        public_description="Dust every night.",
        categories=["air"],
    )
    return project, report


def kept_pages(project, report, language: str = "en") -> list[str]:
    """The HTML and JSON pages every anonymous visitor of an address shares."""
    with translation.override(language):
        return [
            reverse("projects:home"),
            reverse("projects:project_list"),
            project.get_absolute_url(),
            reverse("impacts:report_list"),
            reverse("impacts:report_list") + "?region=kyzylorda&category=air",
            reverse("impacts:report_list") + "?q=dust",
            report.get_absolute_url(),
            reverse("impacts:map"),
            reverse("impacts:stats"),
            reverse("impacts:feed"),
        ]


def test_a_repeat_anonymous_visit_runs_no_sql_and_gets_the_same_page(client, site, django_assert_num_queries):
    for url in kept_pages(*site):
        first = client.get(url)
        assert first.status_code == 200, url
        if "?" in url:
            client.get(url)  # an address with a query is kept when asked for a second time
        with django_assert_num_queries(0):  # the version and the copy come from the cache
            again = client.get(url)
        assert again.status_code == 200, url
        assert again.content == first.content, url
        for header in (
            "ETag",
            "Last-Modified",
            "Cache-Control",
            "Content-Type",
            "Content-Security-Policy",
            "X-Frame-Options",
            "Content-Language",
        ):
            assert again.get(header) == first.get(header), (url, header)
        assert not again.cookies, url


def test_each_language_and_each_query_is_its_own_copy(client, site):
    project, report = site
    english = client.get(reverse("impacts:report_list")).content
    with translation.override("kk"):
        kazakh_url = reverse("impacts:report_list")
    assert client.get(kazakh_url).content != english
    assert client.get(kazakh_url).content != english  # the Kazakh copy, not the English one
    assert b"Black dust" not in client.get(reverse("impacts:report_list") + "?q=nothing-like-it").content
    assert b"Black dust" in client.get(reverse("impacts:report_list")).content


def test_a_publication_makes_the_next_visit_draw_the_page_again(client, site, moderator, django_assert_num_queries):
    project, report = site
    urls = [
        reverse("impacts:report_list"),
        reverse("projects:home"),
        reverse("impacts:stats"),
        project.get_absolute_url(),
    ]
    newcomer = make_report(project=project, region="kyzylorda", title="Oil on the river", categories=["water"])
    workflow.apply(newcomer, "start_review", by=moderator)
    for url in urls:
        client.get(url)
    workflow.apply(newcomer, "publish", by=moderator)
    for url in [reverse("impacts:report_list"), reverse("projects:home")]:
        assert b"Oil on the river" in client.get(url).content, url


def test_a_withdrawn_report_leaves_every_kept_copy(client, site, senior_moderator):
    _, report = site
    url = reverse("impacts:report_list")
    assert b"Black dust on the houses" in client.get(url).content
    workflow.apply(report, "withdraw", by=senior_moderator, message="The reporter asked us to.")
    assert b"Black dust on the houses" not in client.get(url).content
    assert client.get(report.get_absolute_url()).status_code == 404


def test_a_search_asked_for_once_is_not_kept_and_a_repeated_one_for_a_minute(client, site, monkeypatch, settings):
    settings.KZCN_PAGE_CACHE_QUERY_SECONDS = 45
    kept = []
    original = cache.set
    monkeypatch.setattr(
        cache,
        "set",
        lambda key, value, timeout=None: (
            (kept.append(timeout) if key.startswith(page_cache.PAGE_PREFIX) else None) or original(key, value, timeout)
        ),
    )
    for word in ("dust", "smoke", "ash"):
        client.get(reverse("impacts:report_list"), {"q": word})
    assert kept == []  # one-off searches cannot fill the cache
    client.get(reverse("impacts:report_list"), {"q": "dust"})
    client.get(reverse("impacts:report_list"))
    assert kept == [45, settings.KZCN_SITE_VERSION_SECONDS]


def test_signed_in_staff_never_get_or_leave_a_kept_copy(client, site, moderator, django_assert_max_num_queries):
    project, report = site
    client.force_login(moderator)
    url = reverse("impacts:report_list")
    client.get(url)
    response = client.get(url)
    assert response.context is not None  # the view ran: drawn for them, not replayed
    assert "private" in response["Cache-Control"]
    client.logout()
    anonymous = client.get(url)
    assert anonymous.context is not None  # staff left no copy behind
    assert "public" in anonymous["Cache-Control"]


def test_a_visitor_with_a_session_or_a_pending_message_gets_a_drawn_page(client, site):
    url = reverse("impacts:report_list")
    client.get(url)
    for cookie in (settings.SESSION_COOKIE_NAME, "messages"):
        client.cookies.clear()
        client.cookies[cookie] = "something"
        assert client.get(url).context is not None, cookie


def test_a_revalidating_visitor_is_answered_from_the_kept_validators_and_page(
    client, site, moderator, django_assert_num_queries
):
    project, _ = site
    url = reverse("impacts:report_list")
    first = client.get(url)
    with django_assert_num_queries(0):
        current = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        dated = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        outdated = client.get(url, HTTP_IF_NONE_MATCH='W/"an old one"')
    assert current.status_code == dated.status_code == 304
    assert current["ETag"] == first["ETag"] and "public" in current["Cache-Control"]
    assert outdated.status_code == 200 and outdated.content == first.content  # the kept page
    newcomer = make_report(project=project, region="kyzylorda", title="Oil on the river", categories=["water"])
    workflow.apply(newcomer, "start_review", by=moderator)
    workflow.apply(newcomer, "publish", by=moderator)
    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])  # a copy from before the publication
    assert after.status_code == 200 and b"Oil on the river" in after.content
    assert after["ETag"] != first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_forms_with_a_csrf_token_are_never_kept(client, site):
    for url in [reverse("impacts:report_create"), reverse("projects:suggest"), reverse("impacts:track_lost")]:
        client.get(url)
        again = client.get(url)
        assert again.context is not None, url
        assert again.cookies, url  # a CSRF token of its own each time


def test_the_api_is_not_kept_so_its_throttle_counts_every_request(client, site, monkeypatch):
    kept = []
    monkeypatch.setattr(
        page_cache.PageCacheMiddleware, "keep", staticmethod(lambda key, response, seconds: kept.append(key))
    )
    assert client.get(reverse("api:report-list")).status_code == 200
    assert client.get(reverse("impacts:report_list")).status_code == 200
    assert len(kept) == 1  # the HTML list only


# The rules, one by one, on a public page that misbehaves ----------------------------------------------


def kept_after(view, request=None):
    """Whether the middleware kept what `view` answered to an anonymous GET."""
    request = request or RequestFactory().get("/en/somewhere/")
    request.LANGUAGE_CODE = "en"
    page_cache.PageCacheMiddleware(public_page(view))(request)
    return cache.get(page_cache.page_key(request)) is not None


def test_a_plain_public_page_is_kept():
    assert kept_after(lambda request: HttpResponse("hello"))


def test_a_page_that_asked_for_a_csrf_token_is_not_kept():
    def page_with_a_form(request):
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # what get_token() does
        return HttpResponse("<form>…</form>")

    assert not kept_after(page_with_a_form)


def test_a_page_that_read_the_session_sets_a_cookie_or_varies_on_it_is_not_kept():
    class Session(dict):
        accessed = True

    request = RequestFactory().get("/en/somewhere/")
    request.session = Session()
    assert not kept_after(lambda request: HttpResponse("hello"), request)

    def with_cookie(request):
        response = HttpResponse("hello")
        response.set_cookie("anything", "1")
        return response

    def varying(request):
        response = HttpResponse("hello")
        response["Vary"] = "Cookie"
        return response

    assert not kept_after(with_cookie)
    assert not kept_after(varying)


def test_errors_redirects_and_private_pages_are_not_kept():
    def private(request):
        response = HttpResponse("mine")
        response["Cache-Control"] = "no-store"
        return response

    assert not kept_after(lambda request: HttpResponse("gone", status=404))
    assert not kept_after(lambda request: HttpResponse(status=302))
    assert not kept_after(private)


def test_a_page_that_is_not_public_is_not_kept():
    request = RequestFactory().get("/en/somewhere/")
    request.LANGUAGE_CODE = "en"
    page_cache.PageCacheMiddleware(lambda request: HttpResponse("hello"))(request)
    assert cache.get(page_cache.page_key(request)) is None


def test_a_post_is_never_answered_from_a_copy():
    assert not page_cache.may_answer(RequestFactory().post("/en/somewhere/"))


def test_off_by_the_setting(settings):
    settings.KZCN_PAGE_CACHE = False
    assert not kept_after(lambda request: HttpResponse("hello"))


def test_a_cache_outage_serves_the_page_drawn(client, site, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Redis went away")

    monkeypatch.setattr(cache, "get_many", unreachable)
    assert client.get(reverse("impacts:report_list")).status_code == 200


# The filter form: drawn once per language, choices and site version (projects.filters.FormDrawnOnce) -----


@pytest.fixture
def drawings(monkeypatch):
    from projects import filters

    drawn = []

    def counted(form, *args, **kwargs):
        drawn.append(type(form).__name__)
        return as_crispy_form(form, *args, **kwargs)

    monkeypatch.setattr(filters, "as_crispy_form", counted)
    return drawn


def test_the_filter_form_is_drawn_once_per_language_and_choices(client, site, drawings, settings, moderator):
    settings.KZCN_PAGE_CACHE = False  # the view runs every time: only the form is kept
    project, _ = site
    url = reverse("impacts:report_list")
    client.get(url)
    client.get(url)
    client.get(url, {"after": "anything"})  # the position in the list is not a choice of the form
    assert len(drawings) == 1
    with translation.override("ru"):
        client.get(reverse("impacts:report_list"))
    client.get(url, {"region": "kyzylorda"})
    assert len(drawings) == 3
    project.name_en = "Shymkent Refinery (PetroKazakhstan)"
    project.save()  # its name is one of the form's choices
    assert b"Shymkent Refinery (PetroKazakhstan)" in client.get(url).content
    assert len(drawings) == 4


@pytest.mark.parametrize(
    "query",
    ["", "q=x%3Cscript%3E&observed_from=2026-13-45&has_photos=true", "project=999999&ordering=oldest", "q=a&q=b"],
)
@pytest.mark.parametrize("language", ["en", "kk"])
def test_the_kept_filter_form_is_exactly_what_crispy_forms_draws(site, query, language):
    from django.http import QueryDict

    from impacts.filters import ImpactReportFilter
    from impacts.models import ImpactReport
    from impacts.places.plants import MapFilter
    from projects.filters import ProjectFilter
    from projects.models import Project

    with translation.override(language):
        for filters, rows in [
            (ImpactReportFilter, ImpactReport.objects.published()),
            (MapFilter, ImpactReport.objects.published()),
            (ProjectFilter, Project.objects.all()),
        ]:
            expected = str(as_crispy_form(filters(QueryDict(query), queryset=rows).form))
            assert filters(QueryDict(query), queryset=rows).form_html == expected  # drawn and kept
            assert filters(QueryDict(query), queryset=rows).form_html == expected  # from the cache
    assert "&lt;script&gt;" in expected or "<script>" not in expected


def test_a_slow_drawn_page_misses_the_p95_goal_of_the_benchmark():
    from bench import goals
    from bench.wrk import Measurement

    def run(p95):
        return Measurement(
            requests=100, seconds=1, p50_ms=p95 / 2, p95_ms=p95, p99_ms=p95, max_ms=p95, statuses={"200": 100}
        )

    page = goals.PageResult("/reports/", cold={1000: run(5), 100_000: run(5)}, drawn={100_000: run(400)})
    verdict = goals._p95_verdict([page], 100_000)
    assert verdict.passed is False and "(drawn) 400 ms" in verdict.detail
    assert "drawn (view runs)" in goals.table([page], [1000, 100_000])


# Choice labels in the list: what get_FOO_display shows, without its cost (impacts.templatetags.choice_labels) ---


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_choice_label_shows_what_get_display_shows_in_every_language(language):
    from impacts.models import ImpactReport, ReportCategory
    from impacts.templatetags.choice_labels import choice_label

    cases = [(ImpactReport, name) for name in ("severity", "region", "reporter_type")]
    cases.append((ReportCategory, "category"))
    with translation.override(language):
        for model, name in cases:
            for value in [*(v for v, _ in model._meta.get_field(name).flatchoices), "not-a-choice", ""]:
                row = model(**{name: value})
                assert choice_label(row, name) == getattr(row, f"get_{name}_display")(), (model, name, value)


def test_the_list_shows_labels_in_the_visitors_language(client, site):
    from projects.models import Region

    with translation.override("ru"):
        url, region = reverse("impacts:report_list"), str(Region("kyzylorda").label)
    assert region != "Kyzylorda region"
    assert f" · {region}" in client.get(url).content.decode()


def test_the_benchmark_draws_pages_with_a_query_no_kept_copy_answers(monkeypatch):
    from bench import wrk

    monkeypatch.setattr(wrk, "wrk_path", lambda: "wrk")
    drawn = wrk.command("http://127.0.0.1:1/en/reports/", connections=4, seconds=2, headers={}, fresh_query=True)
    plain = wrk.command("http://127.0.0.1:1/en/reports/", connections=4, seconds=2, headers={})
    assert drawn[-1].startswith("fresh-query=") and not any(arg.startswith("fresh-query") for arg in plain)
    assert 'line:match("^fresh%-query=(.+)$")' in wrk.SCRIPT.read_text()  # tests/test_bench_harness.py: per run


def test_a_revalidating_visitor_of_any_public_page_is_answered_before_the_view(client, site, django_assert_num_queries):
    """Pages never kept (the API, a streamed CSV, a query asked once) are revalidated without the view."""
    project, _report = site
    urls = [
        reverse("api:report-list"),
        reverse("projects:project_timeline_csv", kwargs={"slug": project.slug}),
        reverse("impacts:report_list") + "?q=once",
    ]
    for url in urls:
        first = client.get(url)
        if first.streaming:
            b"".join(first.streaming_content)
        with django_assert_num_queries(0):
            again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"], url


def test_a_private_page_is_not_answered_304_by_the_cache(client, site):
    """Only public pages: the tracking page (no validators, no-store) is never answered from here."""
    url = reverse("impacts:track", args=["not-a-token"])
    response = client.get(
        url, HTTP_IF_NONE_MATCH='W/"anything"', HTTP_IF_MODIFIED_SINCE="Mon, 30 Nov 2026 00:00:00 GMT"
    )
    assert response.status_code == 404


REVALIDATION = "kzcn.page_cache.RevalidationMiddleware"
COMPARED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary", "Content-Language", "Content-Length")


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_revalidation_is_answered_above_the_session_and_language_middleware(
    client, site, settings, monkeypatch, language
):
    """The 304 for a current copy comes from one cache read near the top of the stack (as cheap as
    a static file), with the headers the whole stack's 304 has; the API (no language in its
    address) keeps `Vary: Accept-Language` and the language its visitor asked for."""
    from django.contrib.sessions.middleware import SessionMiddleware

    from kzcn.language import LocaleMiddleware
    from tests.test_http_caching import public_urls

    with translation.override(language):
        map_points = reverse("impacts:map_points") + "?zoom=5&bbox=46.5,40.5,87.5,55.5"
    urls = [*public_urls(*site, language=language), map_points, public_urls(*site, language=language)[4] + "?q=once"]
    asked = {"HTTP_ACCEPT_LANGUAGE": language}
    firsts = {}
    for url in urls:
        firsts[url] = client.get(url, **asked)
        if firsts[url].streaming:
            b"".join(firsts[url].streaming_content)
    whole_stack = [name for name in settings.MIDDLEWARE if name != REVALIDATION]
    assert len(whole_stack) == len(settings.MIDDLEWARE) - 1
    for url, first in firsts.items():
        conditional = {**asked, "HTTP_IF_NONE_MATCH": first["ETag"]}
        with monkeypatch.context() as patched:
            for middleware in (SessionMiddleware, LocaleMiddleware):
                patched.setattr(middleware, "process_request", lambda *a: pytest.fail("reached the stack"))
            early = client.get(url, **conditional)
        settings.MIDDLEWARE = whole_stack
        late = client.get(url, **conditional)
        settings.MIDDLEWARE = [*whole_stack[:3], REVALIDATION, *whole_stack[3:]]
        assert early.status_code == late.status_code == 304, url
        assert {h: early.get(h) for h in COMPARED_HEADERS} == {h: late.get(h) for h in COMPARED_HEADERS}, url
        assert early["Content-Language"] == language
        assert ("Accept-Language" in early.get("Vary", "")) == url.startswith("/api/"), url


def test_the_early_revalidation_leaves_everything_else_to_the_stack(client, site, moderator):
    """An outdated copy, a visitor with a session, a page that is not public, a cache outage: down
    the stack as before (the kept page, the drawn page, the view's own answer)."""
    from unittest import mock

    url = reverse("impacts:report_list")
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"an old one"').status_code == 200
    from redis.exceptions import ConnectionError as RedisConnectionError

    from kzcn.freshness import forget_recent_version

    forget_recent_version()  # more than a second later
    with mock.patch("kzcn.page_cache.cache.get", side_effect=RedisConnectionError("down")):
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    client.force_login(moderator)
    signed_in = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert signed_in.status_code == 200 and "private" in signed_in["Cache-Control"]
    client.logout()
    login = client.get(reverse("admin:login"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert login.status_code == 200


def test_a_worker_rereads_the_site_version_at_most_once_a_second_and_sees_its_own_changes_at_once(
    client, site, moderator, monkeypatch
):
    """Revalidations are answered from the version this process saw within KZCN_SITE_VERSION_REREAD_SECONDS
    (no cache read); a change made here is seen at once, one made by another worker after that time."""
    import time as clock

    from kzcn import freshness

    project, _ = site
    url = reverse("impacts:report_list")
    first = client.get(url)
    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: reads.append(key) or real_get(key, *a, **k))
    for _ in range(3):
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert freshness.VERSION_KEY not in reads  # the version this process saw a moment ago
    # A change in this process: seen by the next revalidation.
    newcomer = make_report(project=project, region="kyzylorda", title="Oil on the river", categories=["water"])
    workflow.apply(newcomer, "start_review", by=moderator)
    workflow.apply(newcomer, "publish", by=moderator)
    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and b"Oil on the river" in after.content
    # Another worker moves the version: this one answers from what it saw until the second is over.
    cache.set(freshness.VERSION_KEY, freshness.recent_version() + 5, freshness.version_seconds())
    assert client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304
    later = clock.monotonic() + freshness.reread_seconds()
    monkeypatch.setattr(freshness.time, "monotonic", lambda: later)
    assert client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 200
