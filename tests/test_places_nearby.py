"""Before sending, a reporter sees recent published reports of the same kind near their pin.

"Is this the same problem? Add your voice there or file a new report." Only what is already public
is listed (published reports, by their public point); nothing blocks the form.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from impacts.models import Status
from impacts.places import nearby
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)
PIN = (51.72, 75.32)  # Ekibastuz


def published(days_ago: int = 10, latitude="51.73", longitude="75.33", today=TODAY, **kw):
    """A published report whose public point is given (as a moderator left it)."""
    return make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        observed_on=today - datetime.timedelta(days=days_ago),
        public_latitude=Decimal(latitude),
        public_longitude=Decimal(longitude),
        **kw,
    )


def titles(found) -> list[str]:
    return [item.report.public_title for item in found]


def test_a_recent_report_of_the_same_kind_a_kilometre_away_is_offered():
    published(title="Coal dust on the roofs")

    found = nearby.near_point(*PIN, category="air", today=TODAY)

    assert titles(found) == ["Coal dust on the roofs"]
    assert 0 < found[0].distance_km < 2


def test_other_kinds_old_reports_far_ones_and_unpublished_ones_are_not_offered():
    published(title="Same kind, near")
    published(title="Water, near", primary_category="water", categories=["water"])
    published(title="Air, eight months ago", days_ago=240)
    published(title="Air, 20 km away", latitude="51.90", longitude="75.32")
    # In the bounding box's corner but more than 5 km away: the distance decides, not the box.
    published(title="Air, box corner", latitude="51.764", longitude="75.39")
    for status in (Status.SUBMITTED, Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN):
        make_report(
            status=status,
            title=f"Unpublished {status}",
            public_latitude=Decimal("51.72"),
            public_longitude=Decimal("75.32"),
            observed_on=TODAY,
        )

    assert titles(nearby.near_point(*PIN, category="air", today=TODAY)) == ["Same kind, near"]


def test_a_report_whose_other_impacts_include_the_kind_counts_as_the_same_kind():
    published(title="Dust and smell", primary_category="odour", categories=["odour", "air"])
    assert titles(nearby.near_point(*PIN, category="air", today=TODAY)) == ["Dust and smell"]


def test_at_most_five_are_offered_newest_first():
    for days in range(1, 9):
        published(title=f"{days} days ago", days_ago=days)

    assert titles(nearby.near_point(*PIN, category="air", today=TODAY)) == [
        "1 days ago",
        "2 days ago",
        "3 days ago",
        "4 days ago",
        "5 days ago",
    ]


def test_without_a_pin_the_reports_about_the_chosen_project_are_offered():
    plant = make_site_project()
    published(title="About the plant", project=plant)
    published(title="Elsewhere")

    assert titles(nearby.of_project(plant.pk, category="air", today=TODAY)) == ["About the plant"]


# --- the endpoint the form asks -------------------------------------------------------------------


def test_the_nearby_endpoint_returns_the_list_as_a_fragment_with_links(client):
    report = published(title="Coal dust on the roofs", today=timezone.localdate())
    report.refresh_from_db()
    make_report(
        status=Status.IN_REVIEW,
        title="Not yet public",
        public_latitude=Decimal("51.72"),
        public_longitude=Decimal("75.32"),
        observed_on=timezone.localdate(),
    )

    response = client.get(reverse("impacts:report_nearby"), {"lat": "51.72", "lon": "75.32", "category": "air"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["count"] == 1
    assert "Is this the same problem?" in answer["html"]
    assert report.get_absolute_url() in answer["html"] and "Coal dust on the roofs" in answer["html"]
    assert "Not yet public" not in answer["html"]


def test_nothing_nearby_is_an_empty_answer(client):
    answer = client.get(reverse("impacts:report_nearby"), {"lat": "51.72", "lon": "75.32"}).json()
    assert answer == {"count": 0, "html": ""}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"category": "air"},
        {"lat": "51.72"},
        {"lat": "x", "lon": "75"},
        {"lat": "51.72", "lon": "75.32", "category": "lava"},
        {"project": "shieli-cement"},
        {"project": "1; DROP"},
    ],
)
def test_the_nearby_endpoint_answers_bad_input_with_a_message(client, query):
    response = client.get(reverse("impacts:report_nearby"), query)

    assert response.status_code == 400
    assert response.json()["error"]
