"""The small doors a newcomer tries first lead somewhere: the tab's icon, "Report a problem with this
page", and /api/ (which lists what the open-data API offers)."""

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from impacts.models import Status
from tests.reports import make_report

pytestmark = pytest.mark.django_db


def test_every_page_names_its_icon_and_the_old_favicon_address_leads_to_it(client):
    html = client.get("/en/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html

    response = client.get("/favicon.ico")

    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"]
    icon = open(finders.find("favicon.svg"), encoding="utf-8").read()
    assert icon.startswith("<svg") and "<script" not in icon


def published_report():
    return make_report(status=Status.PUBLISHED, published_at=timezone.now(), public_title="Black dust")


def test_report_a_problem_writes_to_the_team_address(client, settings):
    settings.KZCN_CONTACT_EMAIL = "team@kzcn.example.org"
    report = published_report()

    html = client.get(report.get_absolute_url()).content.decode()

    assert f'href="mailto:team@kzcn.example.org?subject={report.reference}"' in html
    assert "Report a problem with this page" in html
    assert 'href="mailto:?' not in html
    assert 'href="mailto:team@kzcn.example.org">team@kzcn.example.org</a>' in html  # the footer, on every page


def test_without_a_team_address_no_link_leads_nowhere(client, settings):
    settings.KZCN_CONTACT_EMAIL = ""
    report = published_report()

    html = client.get(report.get_absolute_url()).content.decode()

    assert "mailto:" not in html
    assert "Report a problem with this page" not in html


def test_the_api_address_lists_the_endpoints_the_schema_and_the_licence(client):
    published_report()

    response = client.get("/api/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert 'rel="license"' in response["Link"]
    index = response.json()
    assert index["endpoints"]["schema"] == "http://testserver/api/schema/"
    assert index["endpoints"]["report"] == "http://testserver/api/reports/{reference}/"
    for name in ("reports", "projects", "schema"):
        assert client.get(index["endpoints"][name]).status_code == 200, name
    assert index["license"]["name"] and index["license"]["url"].startswith("https://")


def test_the_api_index_is_read_only(client):
    assert client.post("/api/").status_code == 405
