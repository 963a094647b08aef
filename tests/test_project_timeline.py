"""A reader follows a plant's life on its page: dated events, each with its source, beside the
reports published on this site; one kind at a time, and as a spreadsheet."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import ProjectEvent
from tests.catalogue import add_source, admin_form_data, import_catalogue, make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

GEZHOUBA = "gezhouba-shieli-cement-plant-general-and-oil-well-cement"


def page_text(client, project, **query) -> str:
    return " ".join(client.get(project.get_absolute_url(), query).content.decode().split())


@pytest.fixture
def plant():
    project = make_project(name_en="Cement plant")
    source = add_source(project, "https://example.org/hearing", title="Hearing on the plant's OVOS")
    ProjectEvent.objects.create(
        project=project,
        kind="public_hearing",
        date=datetime.date(2017, 3, 14),
        summary="Public hearing on the OVOS.",
        place="Shieli district akimat",
        minutes_url="https://example.org/minutes.pdf",
        source=source,
    )
    ProjectEvent.objects.create(
        project=project,
        kind="court_case",
        date=datetime.date(2021, 1, 1),
        date_precision="year",
        summary="Villagers sued the plant.",
        source=source,
    )
    return project


def test_imported_events_are_on_the_timeline_in_date_order_with_their_source(client):
    import_catalogue()
    project = ProjectEvent.objects.filter(project__slug=GEZHOUBA).first().project

    text = page_text(client, project)

    started = text.index('April 2017</time> · <span class="badge text-bg-light border">Construction started</span>')
    finished = text.index('October 2019</time> · <span class="badge text-bg-light border">Commissioned</span>')
    assert started < finished
    assert "Completion ceremony, after trial production from May 2019 (CGGC, October 2021).</span><sup>" in text
    assert ProjectEvent.objects.count() == 20


def test_the_import_cites_each_event_only_to_a_source_of_its_own_project():
    import_catalogue()

    for event in ProjectEvent.objects.select_related("source"):
        assert event.source.project_id == event.project_id
        assert event.source.url in event.project.sources.values_list("url", flat=True)


def test_a_hearing_shows_its_date_place_minutes_and_source(client, plant):
    text = page_text(client, plant)

    assert "March 14, 2017" in text and "Public hearing" in text
    assert 'Place: <span lang="en">Shieli district akimat</span>' in text
    assert '<a href="https://example.org/minutes.pdf" rel="noopener noreferrer">Minutes or decision</a>' in text
    assert 'Public hearing on the OVOS.</span><sup><a href="#source-1"' in text
    assert '<time datetime="2021-01-01">2021</time>' in text  # a year, not a made-up 1 January


def test_a_published_report_is_on_the_timeline_and_an_unpublished_one_is_not(client, plant):
    shown = make_report(
        project=plant,
        title="Dust at night",
        status="published",
        published_at=timezone.now(),
        observed_on=datetime.date(2019, 5, 2),
    )
    make_report(project=plant, title="Secret draft", status="in_review", observed_on=datetime.date(2019, 6, 2))

    text = page_text(client, plant)

    assert f'<a href="{shown.get_absolute_url()}">Dust at night</a>' in text
    assert "Secret draft" not in text
    assert text.index("Public hearing on the OVOS.") < text.index("Dust at night") < text.index("Villagers sued")


@pytest.mark.parametrize("kind", ["public_hearing", "court_case"])
def test_the_reader_shows_one_kind_of_event(client, plant, kind):
    text = page_text(client, plant, kind=kind)

    assert ("Public hearing on the OVOS." in text) is (kind == "public_hearing")
    assert ("Villagers sued the plant." in text) is (kind == "court_case")
    assert f'timeline.csv?kind={kind}"' in text


@pytest.mark.parametrize("value", ["nonsense", "<script>", "public_hearing' OR 1=1", "x" * 5000])
def test_an_unknown_kind_shows_the_whole_timeline(client, plant, value):
    response = client.get(plant.get_absolute_url(), {"kind": value})

    assert response.status_code == 200
    assert "Villagers sued the plant." in response.content.decode()


def test_the_timeline_downloads_as_a_csv_that_spreadsheets_cannot_run(client, plant):
    source = plant.sources.get()
    ProjectEvent.objects.create(
        project=plant,
        kind="complaint",
        date=datetime.date(2022, 1, 1),
        summary='=HYPERLINK("https://evil.example","click")',
        source=source,
    )

    url = reverse("projects:project_timeline_csv", args=[plant.slug])
    everything = b"".join(client.get(url).streaming_content).decode()
    hearings = b"".join(client.get(url, {"kind": "public_hearing"}).streaming_content).decode()

    assert everything.splitlines()[0] == (
        '"date","kind","summary","place","minutes_url","source_title","source_url","report_url"'
    )
    assert "\"'=HYPERLINK(" in everything
    assert hearings.count("\n") == 2 and "Public hearing on the OVOS." in hearings


def test_editor_adds_a_hearing_with_its_source_in_the_admin_and_it_is_kept_by_the_next_import(client, editor):
    import_catalogue()
    project = ProjectEvent.objects.filter(project__slug=GEZHOUBA).first().project
    source = project.sources.get(is_primary=True)
    client.force_login(editor)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_form_data(client.get(url))
    n = int(data["events-TOTAL_FORMS"])
    hearing = {
        f"events-{n}-kind": "public_hearing",
        f"events-{n}-date": "2016-11-20",
        f"events-{n}-date_precision": "day",
        f"events-{n}-summary": "Public hearing on the plant's OVOS.",
        f"events-{n}-place": "Kodamanov village",
    }

    refused = client.post(url, {**data, "events-TOTAL_FORMS": str(n + 1), **hearing})
    assert "Choose the source of this fact" in refused.content.decode()
    assert not ProjectEvent.objects.filter(kind="public_hearing").exists()

    saved = client.post(
        url, {**data, "events-TOTAL_FORMS": str(n + 1), **hearing, f"events-{n}-source": str(source.pk)}
    )
    assert saved.status_code == 302
    import_catalogue()

    client.logout()
    text = page_text(client, project, kind="public_hearing")
    assert "Public hearing on the plant&#x27;s OVOS." in text and "Kodamanov village" in text


def test_a_source_cited_by_an_event_cannot_be_deleted_and_the_editor_is_told_why(client, editor, plant):
    client.force_login(editor)
    url = reverse("admin:projects_project_change", args=[plant.pk])
    data = admin_form_data(client.get(url))
    data["sources-0-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Timeline events cite this source" in response.content.decode()
    assert plant.sources.exists() and plant.events.count() == 2
