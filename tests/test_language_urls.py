"""The language is in the address: /en/, /ru/, /kk/. A shared link keeps its language, old links
without a prefix still work, the header switches language in one plain link, and browsing the public
pages sets no cookie (so they can be cached)."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse, translate_url
from django.utils import timezone, translation

from impacts.models import Notification, NotificationKind, Status
from impacts.notifications import compose
from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

NAVIGATION = {"en": "Projects", "ru": "Проекты", "kk": "Жобалар"}


def switcher_links(html: str) -> dict[str, str]:
    """The header's language links: language code → address (HTML-unescaped)."""
    nav = html[html.index("data-language-switcher") :]
    nav = nav[: nav.index("</ul>")]
    return {code: href.replace("&amp;", "&") for href, code in re.findall(r'href="([^"]+)" hreflang="(\w+)"', nav)}


def published_report():
    project = make_project(name_en="Shymkent Oil Refinery", name_ru="Шымкентский НПЗ")
    return make_report(
        project=project,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        public_title="Black dust on the houses",
        public_description="Dust every night.",
    )


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_a_link_with_a_language_prefix_opens_the_home_page_in_that_language(client, language):
    response = client.get(f"/{language}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert NAVIGATION[language] in html
    assert response["Content-Language"] == language


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_public_page_answers_in_the_language_of_its_address(client, language):
    report = published_report()
    with translation.override(language):
        urls = [
            reverse("projects:project_list"),
            report.project.get_absolute_url(),
            reverse("impacts:report_list"),
            report.get_absolute_url(),
            reverse("impacts:map"),
            reverse("impacts:stats"),
            reverse("impacts:report_create"),
        ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert url.startswith(f"/{language}/")
        assert f'<html lang="{language}">' in response.content.decode(), url


@pytest.mark.parametrize(
    ("accept_language", "expected"), [("kk", "kk"), ("ru-RU,ru;q=0.9", "ru"), ("", "en"), ("de", "en")]
)
def test_an_old_link_without_a_language_redirects_to_the_visitors_language(client, accept_language, expected):
    report = published_report()

    response = client.get(f"/reports/{report.reference}/?original=1", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 302
    assert response["Location"] == f"/{expected}/reports/{report.reference}/?original=1"
    # A shared cache must not give one visitor's redirect to another.
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Black dust on the houses" in page.content.decode()


def test_the_language_chosen_with_the_old_switcher_still_wins_over_the_browser(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"

    response = client.get("/projects/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response["Location"] == "/kk/projects/"


@pytest.mark.parametrize(
    "old_link",
    ["/", "/projects/", "/reports/", "/report/", "/map/", "/stats/", "/reports/feed/", "/reports/export.csv"],
)
def test_old_links_of_every_kind_still_lead_somewhere(client, old_link):
    response = client.get(old_link, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == "/en" + old_link


def test_an_old_tracking_link_from_an_e_mail_still_opens_the_tracking_page(client):
    report = make_report()
    token = report.issue_tracking_token()
    report.save()

    response = client.get(f"/track/{token}/", HTTP_ACCEPT_LANGUAGE="kk", follow=True)

    assert response.redirect_chain == [(f"/kk/track/{token}/", 302)]
    assert response.status_code == 200
    assert report.reference in response.content.decode()


def test_machines_and_staff_keep_addresses_without_a_language(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/reports/").status_code == 200
    assert client.get("/ru/api/reports/").status_code == 404
    assert client.get(f"/{settings.KZCN_ADMIN_URL}login/").status_code == 200


def test_an_unknown_address_is_not_found_in_the_language_it_was_asked_in(client):
    response = client.get("/kk/no-such-page/")

    assert response.status_code == 404
    assert '<html lang="kk">' in response.content.decode()
    assert switcher_links(response.content.decode())["ru"] == "/ru/no-such-page/"


def test_the_switcher_is_one_plain_link_per_language_to_the_same_page_with_its_query(client):
    make_project(name_en="Shymkent Oil Refinery")
    url = "/ru/projects/?q=oil&sector=metallurgy&page=1"

    html = client.get(url).content.decode()

    assert switcher_links(html) == {
        "en": "/en/projects/?q=oil&sector=metallurgy&page=1",
        "ru": url,
        "kk": "/kk/projects/?q=oil&sector=metallurgy&page=1",
    }
    assert 'action="/i18n/setlang/"' not in html and "language-select" not in html
    current = r'<a class="nav-link active" href="/ru/projects/[^"]*" hreflang="ru"[^>]*aria-current="true"'
    assert re.search(current, html)
    # Search engines learn the other languages' addresses too.
    assert '<link rel="alternate" hreflang="kk" href="/kk/projects/?q=oil&amp;sector=metallurgy&amp;page=1">' in html


def test_the_switcher_on_a_tracking_page_keeps_the_private_address(client):
    report = make_report()
    token = report.issue_tracking_token()
    report.save()

    html = client.get(f"/en/track/{token}/").content.decode()

    assert switcher_links(html) == {code: f"/{code}/track/{token}/" for code in ("en", "ru", "kk")}
    kazakh = client.get(switcher_links(html)["kk"])
    assert kazakh.status_code == 200 and '<html lang="kk">' in kazakh.content.decode()


def test_switching_language_on_the_confirmation_page_keeps_the_tracking_link_on_screen(client):
    session = client.session
    session["impacts.just_submitted"] = {
        "reference": "KZCN-TEST",
        "link": "http://x/kk/track/secret/",
        "emailed": False,
    }
    session.save()

    english = client.get("/en/report/sent/").content.decode()
    kazakh = client.get(switcher_links(english)["kk"]).content.decode()
    reload = client.get("/kk/report/sent/").content.decode()

    assert "http://x/kk/track/secret/" in english
    assert "http://x/kk/track/secret/" in kazakh and '<html lang="kk">' in kazakh
    # Still shown once in each language: a reload (or the next person at this phone) does not see it.
    assert "http://x/kk/track/secret/" not in reload


def test_e_mailed_links_are_in_the_language_of_the_report(client, settings):
    settings.KZCN_SITE_URL = "https://kzcn.example.org"
    report = make_report(
        language="kk", status=Status.PUBLISHED, published_at=timezone.now(), contact_email="aigul@example.org"
    )
    notification = Notification.objects.create(report=report, kind=NotificationKind.PUBLISHED)

    _subject, body = compose(notification, tracking_link="")

    assert f"https://kzcn.example.org/kk/reports/{report.reference}/" in body
    assert "https://kzcn.example.org/kk/track/" in body
    page = client.get(f"/kk/reports/{report.reference}/")
    assert page.status_code == 200
    assert not mail.outbox


PUBLIC_PAGES = [
    "projects:home",
    "projects:project_list",
    "project",
    "impacts:report_list",
    "report",
    "impacts:map",
    "impacts:stats",
]


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_browsing_the_public_pages_sets_no_cookie(client, language):
    report = published_report()
    for name in PUBLIC_PAGES:
        with translation.override(language):
            url = {"project": report.project.get_absolute_url(), "report": report.get_absolute_url()}.get(name)
            url = url or reverse(name)
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, f"{url} set {list(response.cookies)}"
        assert "Set-Cookie" not in response.headers, url
        # No Vary: Cookie (a CSRF token would add it) and no Vary on the browser's language: the
        # address alone decides the page, so a shared cache may keep one copy.
        vary = response.headers.get("Vary", "")
        assert "Cookie" not in vary and "Accept-Language" not in vary, f"{url}: Vary: {vary}"
    assert not client.cookies


def test_the_language_names_itself_in_the_switcher(client):
    links = client.get("/en/").content.decode()
    assert ">Қазақша</a>" in links and ">Русский</a>" in links and ">English</a>" in links


def test_translate_url_keeps_the_report_reference(client):
    report = published_report()
    assert translate_url(report.get_absolute_url(), "kk") == f"/kk/reports/{report.reference}/"
