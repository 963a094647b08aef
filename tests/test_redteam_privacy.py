"""A curious visitor walks every public surface added today, in every language, looking for what a
reporter or a suggester typed privately: it must be nowhere.

Extends tests/test_public_place.py to the project pages, their timelines (page and CSV, each kind),
the suggestion pages, the API index and the project API, and to the private details of people who
suggested a project (e-mail always; name unless they asked to be credited and an editor accepted).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from projects.models import Suggestion
from tests.catalogue import add_source
from tests.reports import make_report, make_site_project
from tests.test_public_place import MARKERS, PUBLIC, TYPED, body

pytestmark = pytest.mark.django_db

SUGGESTER = {"name": "Zqsuggestername Dauletova", "email": "zqsuggestermail@example.org"}
SUGGESTION_MARKERS = ["Zqsuggestername", "zqsuggestermail", "Zqpendingdetails", "Zqdeclinednote"]


@pytest.fixture
def walked_site():
    project = make_site_project()
    source = add_source(project)
    project.events.create(
        kind="public_hearing", date=datetime.date(2026, 5, 1), summary="Public hearing held", source=source
    )
    common = {**TYPED, **PUBLIC, "status": "published", "published_at": timezone.now(), "region": "kyzylorda",
              "attribution": "anonymous"}  # fmt: skip
    make_report(**common)
    make_report(**{**common, "project": project, "site_name": ""})
    # One suggestion waiting, one accepted without credit, one declined with an editor's note.
    Suggestion.objects.create(kind="correction", project=project, details="Zqpendingdetails", credit=True,
                              source_url="https://example.org/zq", **SUGGESTER)  # fmt: skip
    Suggestion.objects.create(kind="correction", project=project, details="Accepted fact", state="accepted",
                              source_url="https://example.org/zq2", **SUGGESTER)  # fmt: skip
    Suggestion.objects.create(kind="new_project", project_name="Zqpendingdetails plant", details="x",
                              state="declined", editor_note="Zqdeclinednote", credit=True,
                              source_url="https://example.org/zq3", **SUGGESTER)  # fmt: skip
    return project


def new_surfaces(project) -> list[str]:
    urls = [
        reverse("projects:home"),
        reverse("projects:project_list"),
        reverse("projects:project_list") + "?q=Shieli",
        project.get_absolute_url(),
        reverse("projects:suggest"),
        reverse("projects:suggest") + f"?project={project.slug}",
        reverse("projects:suggestion_sent"),
        reverse("projects:project_timeline_csv", args=[project.slug]),
        reverse("impacts:track_lost"),
    ]
    for kind in ("site_report", "public_hearing"):
        urls.append(project.get_absolute_url() + f"?kind={kind}")
        urls.append(reverse("projects:project_timeline_csv", args=[project.slug]) + f"?kind={kind}")
    return urls


def test_no_private_word_on_any_new_surface_in_any_language(client, walked_site):
    project = walked_site
    for language in ("en", "ru", "kk"):
        with translation.override(language):
            urls = new_surfaces(project)
        for url in urls:
            text = body(client.get(url))
            for marker in [*MARKERS, *SUGGESTION_MARKERS]:
                assert marker not in text, (url, marker)
    for url in ["/api/", reverse("api:project-list"), reverse("api:project-detail", args=[project.slug]),
                reverse("api:schema")]:  # fmt: skip
        text = body(client.get(url))
        for marker in [*MARKERS, *SUGGESTION_MARKERS]:
            assert marker not in text, (url, marker)


def test_a_credited_and_accepted_suggester_is_thanked_by_name_only(client, walked_site):
    project = walked_site
    Suggestion.objects.create(kind="correction", project=project, details="Right cost", state="accepted",
                              credit=True, source_url="https://example.org/zq4", **SUGGESTER)  # fmt: skip
    page = body(client.get(project.get_absolute_url()))
    assert "Zqsuggestername Dauletova" in page
    assert "zqsuggestermail" not in page
