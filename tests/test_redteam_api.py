"""The open-data API and its index, probed with the parameters an attacker tries first: other output
formats, page sizes that are huge, negative or not numbers, ordering and field selection by private
fields. Every answer is a plain JSON answer or a clean 4xx, never a 500, and never a private value.
"""

import pytest
from django.utils import timezone

from tests.catalogue import make_project
from tests.reports import make_report
from tests.test_public_place import MARKERS, PUBLIC, TYPED

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/", "/api/reports/", "/api/projects/", "/api/schema/"]
PARAMETERS = [
    {"format": "api"}, {"format": "xml"}, {"format": "html"}, {"format": "csv"}, {"format": "yaml"},
    {"page_size": "-1"}, {"page_size": "0"}, {"page_size": "null"}, {"page_size": "1e9"},
    {"page_size": "99999999999999999999999"}, {"page": "-1"}, {"page": "0"}, {"page": "99999999999"},
    {"page": "last"}, {"ordering": "contact_email"}, {"ordering": "-latitude"}, {"fields": "contact_email"},
    {"severity": "99999999999999999999"}, {"observed_from": "99999-01-01"}, {"project": "-1"},
]  # fmt: skip


@pytest.fixture
def published(db):
    project = make_project(name_en="Cement plant", slug="cement-plant")
    common = {**TYPED, **PUBLIC, "status": "published", "published_at": timezone.now(), "region": "kyzylorda"}
    for _ in range(3):
        make_report(project=project, **common)
    return project


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_odd_parameters_never_break_the_api_or_leak(client, published, endpoint):
    for parameters in PARAMETERS:
        response = client.get(endpoint, parameters)
        assert response.status_code in (200, 400, 404), (endpoint, parameters, response.status_code)
        text = response.content.decode()
        for marker in MARKERS:
            assert marker not in text, (endpoint, parameters, marker)


@pytest.mark.parametrize("page_size", ["101", "1000", "99999999999999999999999"])
def test_a_page_is_never_larger_than_the_limit(client, published, page_size, settings):
    for _ in range(105):
        make_report(status="published", published_at=timezone.now(), public_title="Dust")
    body = client.get("/api/reports/", {"page_size": page_size}).json()
    assert len(body["results"]) == 100 and body["count"] == 108


def test_the_index_answers_only_reading(client):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/api/").status_code == 405
