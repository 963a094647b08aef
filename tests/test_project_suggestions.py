"""A visitor suggests a missing project or a correction with its source; an editor reviews it; nothing
of it is public before the editor accepts it, and the visitor is credited only if they asked."""

import time

import pytest
from django.urls import reverse

from impacts import abuse
from projects.models import Suggestion
from tests.catalogue import add_source, make_project

pytestmark = pytest.mark.django_db

URL = reverse("projects:suggest")
SECRET_DETAILS = "The plant's cost was USD 212 million per the akimat."


def served_a_minute_ago() -> str:
    return abuse.new_form_token(started=time.time() - 60)


def suggestion_data(about=None, **overrides) -> dict:
    data = {
        "kind": "correction" if about else "new_project",
        "project": str(about.pk) if about else "",
        "project_name": "" if about else "Aktobe cement plant",
        "details": SECRET_DETAILS,
        "source_url": "https://akimat.example.kz/news/42",
        "source_title": "The akimat's report",
        "name": "Aigerim Sultanova",
        "email": "aigerim@example.org",
        "credit": "on",
        abuse.TIMESTAMP_FIELD: served_a_minute_ago(),
        **overrides,
    }
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def plant():
    project = make_project(name_en="Cement plant", slug="cement-plant")
    add_source(project)
    return project


def public_pages(client, project) -> str:
    pages = [project.get_absolute_url(), reverse("projects:project_list"), reverse("projects:home")]
    return "".join(client.get(url).content.decode() for url in pages)


def test_the_project_page_links_to_a_correction_form_for_that_project(client, plant):
    page = client.get(plant.get_absolute_url()).content.decode()
    assert f'href="{URL}?project=cement-plant"' in page

    form = client.get(URL, {"project": "cement-plant"}).content.decode()

    assert f'<option value="{plant.pk}" selected>Cement plant</option>' in form
    assert 'value="correction"' in form and "checked" in form.split('value="correction"')[1][:40]


def test_a_suggestion_reaches_the_editors_queue_and_nothing_of_it_is_public(client, plant, editor):
    response = client.post(URL, suggestion_data(plant))

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:suggestion_sent")
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.project, suggestion.state) == ("correction", plant, "new")
    public = public_pages(client, plant)
    for private in [SECRET_DETAILS, "Aigerim", "aigerim@example.org", "akimat.example.kz", "The akimat&#x27;s report"]:
        assert private not in public

    client.force_login(editor)
    queue = client.get(reverse("admin:projects_suggestion_changelist")).content.decode()
    assert "akimat.example.kz/news/42" in queue


def test_an_accepted_correction_adds_its_source_and_credits_the_suggester_who_asked(client, plant, editor):
    client.post(URL, suggestion_data(plant))
    client.post(URL, suggestion_data(plant, name="Quiet person", credit=None, source_url="https://example.org/b"))
    client.force_login(editor)

    client.post(
        reverse("admin:projects_suggestion_changelist"),
        {"action": "accept", "_selected_action": list(Suggestion.objects.values_list("pk", flat=True))},
    )
    client.logout()

    source = plant.sources.get(url="https://akimat.example.kz/news/42")
    assert source.title == "The akimat's report"
    page = client.get(plant.get_absolute_url()).content.decode()
    assert "With corrections suggested by: Aigerim Sultanova" in page
    assert "Quiet person" not in page
    assert "aigerim@example.org" not in page


def test_a_declined_suggestion_stays_private(client, plant, editor):
    client.post(URL, suggestion_data(plant))
    client.force_login(editor)
    client.post(reverse("admin:projects_suggestion_changelist"),
                {"action": "decline", "_selected_action": [Suggestion.objects.get().pk]})
    client.logout()

    assert Suggestion.objects.get().state == "declined"
    assert not plant.sources.filter(url="https://akimat.example.kz/news/42").exists()
    assert "Aigerim" not in public_pages(client, plant)


def test_a_form_sent_twice_makes_one_suggestion(client, plant):
    data = suggestion_data(plant)

    client.post(URL, data)
    client.post(URL, data)

    assert Suggestion.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source_url": ""}, "This field is required."),
        ({"source_url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"project": ""}, "Choose the project the correction is about."),
        ({"kind": "new_project", "project": "", "project_name": ""}, "Give the missing project&#x27;s name."),
        ({"name": ""}, "Give the name to credit, or untick the box."),
        ({"details": "x" * 3001}, "Ensure this value has at most 3000 characters"),
        ({"project": "99999"}, "Select a valid choice."),
    ],
)
def test_a_suggestion_that_does_not_fit_is_refused_with_a_reason_and_kept(client, plant, overrides, message):
    response = client.post(URL, suggestion_data(plant, **overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {abuse.HONEYPOT_FIELD: "http://spam.example"},
        {abuse.TIMESTAMP_FIELD: "forged"},
        {abuse.TIMESTAMP_FIELD: "fresh"},  # sent the moment the form was served: a bot
    ],
)
def test_bots_are_refused_like_on_the_report_form(client, plant, overrides):
    if overrides.get(abuse.TIMESTAMP_FIELD) == "fresh":
        overrides = {abuse.TIMESTAMP_FIELD: abuse.new_form_token()}
    response = client.post(URL, suggestion_data(plant, **overrides))

    assert response.status_code == 400
    assert not Suggestion.objects.exists()


def test_too_many_posts_from_one_address_are_refused(client, plant, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 2
    for number in range(2):
        client.post(URL, suggestion_data(plant, source_url=f"https://example.org/{number}"))

    response = client.post(URL, suggestion_data(plant, source_url="https://example.org/3"))

    assert response.status_code == 400
    assert Suggestion.objects.count() == 2


def test_a_moderator_does_not_see_suggestions(client, moderator, plant):
    client.post(URL, suggestion_data(plant))
    client.force_login(moderator)

    assert client.get(reverse("admin:projects_suggestion_changelist")).status_code == 403
