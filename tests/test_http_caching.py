"""A visitor who has a public page already is told "not modified" (304) until what it shows changes;
anonymous copies may be shared by caches, nothing private or signed-in ever is (issue 16)."""

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from impacts import workflow
from kzcn.freshness import SharedCopyGuard, site_version
from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db


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
    )
    return project, report


def public_urls(project, report, language: str = "en") -> list[str]:
    with translation.override(language):
        return [
            reverse("projects:home"),
            reverse("projects:project_list"),
            project.get_absolute_url(),
            reverse("projects:project_timeline_csv", args=[project.slug]),
            reverse("impacts:report_list"),
            reverse("impacts:report_list") + "?region=kyzylorda",
            report.get_absolute_url(),
            reverse("impacts:map"),
            reverse("impacts:stats"),
            reverse("impacts:feed"),
            reverse("impacts:project_feed", args=[project.slug]),
            reverse("impacts:region_feed", args=["kyzylorda"]),
            reverse("impacts:report_export_csv"),
            reverse("impacts:report_export_geojson"),
            reverse("api:report-list"),
            reverse("api:report-detail", args=[report.reference]),
            reverse("api:project-list"),
            reverse("api:project-detail", args=[project.slug]),
        ]


def content(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def validators(response) -> dict:
    return {"HTTP_IF_NONE_MATCH": response["ETag"], "HTTP_IF_MODIFIED_SINCE": response["Last-Modified"]}


# A repeat visit costs nothing -----------------------------------------------------------------------


def test_every_public_page_answers_304_to_a_visitor_who_has_it_already(client, site, django_assert_num_queries):
    for url in public_urls(*site):
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["ETag"] and first["Last-Modified"], url
        # Neither the view nor the database is asked: as cheap as a static file.
        with django_assert_num_queries(0):
            again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert content(again) == "", url
        assert again["ETag"] == first["ETag"] and "public" in again["Cache-Control"], url
        # A cache that only kept the date is answered too.
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304, url


def test_anonymous_public_pages_may_be_shared_and_set_no_cookie(client, site):
    for url in public_urls(*site):
        response = client.get(url)
        assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300", url
        assert not response.cookies and "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
    assert not client.cookies


def test_how_long_copies_stay_fresh_is_a_setting(client, site, settings):
    settings.KZCN_PUBLIC_MAX_AGE = 5
    settings.KZCN_PUBLIC_STALE_WHILE_REVALIDATE = 30
    response = client.get(reverse("impacts:report_list"))
    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_each_language_has_its_own_validator(client, site, language):
    english = client.get(public_urls(*site)[4])
    other = client.get(public_urls(*site, language=language)[4])
    assert other["ETag"] != english["ETag"]
    # The English copy's validator does not pass for the page in another language.
    assert client.get(public_urls(*site, language=language)[4], HTTP_IF_NONE_MATCH=english["ETag"]).status_code == 200


def test_json_and_another_format_of_the_api_never_share_a_validator(client, site):
    url = reverse("api:report-list")
    json = client.get(url, HTTP_ACCEPT="application/json")
    other = client.get(url, HTTP_ACCEPT="text/html")
    assert json["ETag"] != other["ETag"]


# A change anywhere the public sees gives everyone the new page ---------------------------------------


def test_after_a_report_is_published_every_page_is_sent_again_with_it(client, site, moderator):
    project, report = site
    newcomer = make_report(project=project, region="kyzylorda", title="Oil on the river", categories=["water"])
    workflow.apply(newcomer, "start_review", by=moderator)
    pages = {url: client.get(url) for url in public_urls(project, report)}
    workflow.apply(newcomer, "publish", by=moderator)
    for url, first in pages.items():
        again = client.get(url, **validators(first))
        assert again.status_code == 200, url
        assert again["ETag"] != first["ETag"], url
    for url in [
        reverse("impacts:report_list"),
        reverse("projects:home"),
        reverse("impacts:feed"),
        reverse("api:report-list"),
    ]:
        assert "Oil on the river" in content(client.get(url, **validators(pages[url]))), url


def test_after_a_report_is_withdrawn_its_title_leaves_every_copy(client, site, senior_moderator):
    project, report = site
    url = reverse("impacts:report_list")
    first = client.get(url)
    assert "Black dust on the houses" in content(first)
    workflow.apply(report, "withdraw", by=senior_moderator, message="The reporter asked us to.")
    again = client.get(url, **validators(first))
    assert again.status_code == 200
    assert "Black dust on the houses" not in content(again)
    # The report's own page: the old validator now gets "not found", not "not modified".
    assert client.get(report.get_absolute_url(), **validators(first)).status_code == 404


def test_after_a_moderator_edits_a_published_report_its_page_is_sent_again(client, site):
    _, report = site
    first = client.get(report.get_absolute_url())
    report.public_title = "Grey dust on the houses"
    report.save()
    again = client.get(report.get_absolute_url(), **validators(first))
    assert again.status_code == 200
    assert "Grey dust on the houses" in content(again)


def test_after_an_editor_changes_a_project_its_page_is_sent_again(client, site):
    project, _ = site
    first = client.get(project.get_absolute_url())
    project.name_en = "Shymkent Refinery (PetroKazakhstan)"
    project.save()
    again = client.get(project.get_absolute_url(), **validators(first))
    assert again.status_code == 200
    assert "Shymkent Refinery (PetroKazakhstan)" in content(again)


def test_what_the_public_cannot_see_leaves_every_copy_valid(client, site, moderator, senior_moderator):
    # A busy report form must not empty the caches: a new submission, its categories and files, the
    # tracking link and the moderator's work before publication are not on any public page.
    project, report = site
    pages = {url: client.get(url) for url in public_urls(project, report)}
    before = site_version()
    newcomer = make_report(project=project, region="kyzylorda", title="Oil on the river", categories=["water"])
    newcomer.public_title = "Oil on the river (edited)"
    newcomer.save()
    workflow.apply(newcomer, "start_review", by=moderator)
    workflow.apply(newcomer, "reject", by=moderator, message="Not about a project site.")
    assert site_version() == before
    for url, first in pages.items():
        assert client.get(url, **validators(first)).status_code == 304, url


@pytest.mark.django_db(transaction=True)
def test_a_change_moves_the_validator_again_once_it_is_committed(site):
    # Another worker may draw a page between the write and the commit, from the old rows: it must
    # not keep the validator of the new ones, so the version moves a second time on commit.
    _, report = site
    with transaction.atomic():
        report.public_title = "Grey dust on the houses"
        report.save()
        during = site_version()
    assert site_version() > during


# Nothing private or signed-in is ever shared ---------------------------------------------------------


def test_pages_that_hold_a_secret_or_a_form_are_never_shared(client, site):
    _, report = site
    token = "not-a-real-token"
    for url in [
        reverse("impacts:report_create"),
        reverse("impacts:track_lost"),
        reverse("impacts:report_sent"),
        reverse("impacts:track", args=[token]),
        reverse("projects:suggest"),
    ]:
        response = client.get(url)
        assert "public" not in response.get("Cache-Control", ""), url


def test_forms_that_set_their_own_cookies_are_private(client):
    for url in [reverse("impacts:report_create"), reverse("projects:suggest")]:
        response = client.get(url)
        assert response.cookies, url  # the CSRF token, and the report form's kzcn_form_client
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"], url


def test_a_signed_in_moderator_never_gets_a_shared_copy_of_a_public_page(client, site, moderator):
    project, report = site
    anonymous = {url: client.get(url) for url in public_urls(project, report)}
    client.force_login(moderator)
    for url, first in anonymous.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert response.status_code == 200, url  # not the anonymous copy
        assert "public" not in response["Cache-Control"] and "private" in response["Cache-Control"], url


def test_a_response_that_sets_a_cookie_is_never_shared():
    def page_setting_a_cookie(request):
        response = HttpResponse("hello")
        response["Cache-Control"] = "public, max-age=60"
        response.set_cookie(settings.CSRF_COOKIE_NAME, "token")
        return response

    response = SharedCopyGuard(page_setting_a_cookie)(RequestFactory().get("/en/"))
    assert response["Cache-Control"] == "max-age=60, private"
