"""Numbers written with other scripts' digits ("²", "١", "٣") in every numeric query value.

Python's str.isdigit() says yes to "²" and int() then fails: a check built on it let such a value
through to int() and the page answered 500. Every public address that reads a number from the query
string is asked with such values: the answer is the page or a clear 4xx, never a server error.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

ODD_DIGITS = ["²", "١", "٣٤", "𝟙", "-²", "1²", "²_2026-01-01_5"]


@pytest.fixture
def site():
    project = make_project(name_en="Cement plant", slug="cement-plant")
    make_report(project=project, status="published", published_at=timezone.now(), public_title="Dust")
    return project


def numeric_queries(value: str) -> list[str]:
    reports, api = reverse("impacts:report_list"), reverse("api:report-list")
    return [
        f"{reports}?page={value}",
        f"{reports}?after={value}",
        f"{reports}?before={value}",
        f"{reports}?after={value}_2026-01-01_5",
        f"{reports}?severity={value}",
        f"{reports}?project={value}",
        f"{reverse('impacts:map')}?page={value}",
        f"{reverse('impacts:map_points')}?zoom={value}&bbox=46,40,88,56",
        f"{reverse('impacts:map_points')}?zoom=5&bbox={value},40,88,56",
        f"{reverse('impacts:report_nearby')}?project={value}",
        f"{reverse('impacts:report_nearby')}?lat={value}&lon=75",
        f"{reverse('impacts:report_place')}?lat={value}&lon=75",
        f"{reverse('impacts:report_create')}?project={value}",
        f"{reverse('projects:project_list')}?page={value}",
        f"{api}?page={value}",
        f"{api}?page_size={value}",
        f"{api}?after={value}",
        f"{api}?project={value}",
        f"{api}?severity={value}",
        f"{reverse('api:project-list')}?page={value}",
    ]


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_no_numeric_query_value_turns_into_a_server_error(client, site, value):
    failures = []
    for url in numeric_queries(value):
        status = client.get(url).status_code
        if status >= 500:
            failures.append((status, url))
    assert not failures
