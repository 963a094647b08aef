"""An attacker leans on the project suggestion form (/en/projects/suggest/) the way issue 10 leaned on
the report form: double submits and races, replayed tokens, floods of invalid posts, control
characters, repeated fields, oversized fields, dangerous links, and markup aimed at the editors.

Each story ends with what the visitor or the editor sees: one suggestion, a clear page, never a 500.
"""

import pytest
from django.test import Client
from django.urls import reverse

from impacts import abuse
from projects.forms import SuggestionForm
from projects.models import Source, Suggestion
from tests.catalogue import add_source, make_project
from tests.test_project_suggestions import URL, suggestion_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:projects_suggestion_changelist")


@pytest.fixture
def plant():
    project = make_project(name_en="Cement plant", slug="cement-plant")
    add_source(project)
    return project


def accept_all(client, editor):
    client.force_login(editor)
    response = client.post(
        CHANGELIST, {"action": "accept", "_selected_action": list(Suggestion.objects.values_list("pk", flat=True))}
    )
    client.logout()
    return response


# --- Double submits and replays ------------------------------------------------------------------------


def test_the_same_form_sent_twice_at_once_makes_one_suggestion_and_both_posts_see_thanks(client, plant, monkeypatch):
    """A double tap: the second post checks for an earlier suggestion before the first has saved it,
    then the first commits. The second must answer "thank you", not crash on the unique key."""
    data = suggestion_data(plant)
    key = abuse.read_form_token(data[abuse.TIMESTAMP_FIELD]).submission_key
    real_save = SuggestionForm.save

    def save_after_the_other_post_won(form, commit=True):
        Suggestion.objects.create(
            kind="new_project",
            project_name="Sent by the other post",
            details="x",
            source_url="https://example.org/other",
            submission_key=key,
        )
        return real_save(form, commit)

    monkeypatch.setattr(SuggestionForm, "save", save_after_the_other_post_won)
    response = client.post(URL, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:suggestion_sent")
    assert Suggestion.objects.filter(submission_key=key).count() == 1


def test_a_form_token_replayed_from_another_client_adds_nothing(client, plant):
    data = suggestion_data(plant)
    client.post(URL, data)

    replay = Client().post(URL, {**data, "details": "A different claim, same token", "source_url": "https://x.org/"})

    assert replay.status_code == 302
    assert list(Suggestion.objects.values_list("details", flat=True)) == [data["details"]]


def test_every_post_counts_towards_the_limit_even_the_invalid_ones(client, plant, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 3
    for _ in range(3):
        assert client.post(URL, suggestion_data(plant, source_url="")).status_code == 400

    refused = client.post(URL, suggestion_data(plant))

    assert refused.status_code == 400
    assert "try again in about" in refused.content.decode()
    assert Suggestion.objects.count() == 0


# --- Input that does not fit ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["details", "project_name", "source_title", "name", "email", "kind"])
@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b"])
def test_a_control_character_in_any_field_is_refused_plainly(client, plant, field, character):
    response = client.post(URL, suggestion_data(plant, **{field: f"abc{character}def"}))

    assert response.status_code == 400
    assert Suggestion.objects.count() == 0


def test_repeated_single_value_fields_never_give_a_server_error(client, plant):
    data = suggestion_data(plant)
    data.update(
        {
            "kind": ["correction", "new_project"],
            "project": [str(plant.pk), "x"],
            "credit": ["on", "off"],
            "email": ["a@example.org", "b@example.org"],
            abuse.TIMESTAMP_FIELD: [data[abuse.TIMESTAMP_FIELD]] * 2,
        }
    )

    response = client.post(URL, data)

    assert response.status_code in (302, 400)
    assert Suggestion.objects.count() <= 1


@pytest.mark.parametrize(
    ("field", "limit"),
    [("details", 3000), ("project_name", 300), ("source_title", 500), ("name", 100), ("source_url", 1000)],
)
def test_oversized_fields_are_refused_with_a_reason(client, plant, field, limit):
    value = "https://example.org/" + "a" * limit if field == "source_url" else "a" * (limit + 1)

    response = client.post(URL, suggestion_data(plant, **{field: value}))

    assert response.status_code == 400
    assert "at most" in response.content.decode()
    assert Suggestion.objects.count() == 0


# --- Links and markup ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_a_source_link_with_a_dangerous_scheme_is_never_stored(client, plant, url):
    response = client.post(URL, suggestion_data(plant, source_url=url))

    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()
    assert Suggestion.objects.count() == 0


def test_markup_in_a_suggestion_reaches_the_editor_as_text(client, plant, editor):
    client.post(
        URL,
        suggestion_data(
            None,
            project_name="<img src=x onerror=alert(1)>",
            details="<script>alert('details')</script>",
            source_title="<b>bold</b>",
            name="<i>who</i>",
        ),
    )
    suggestion = Suggestion.objects.get()
    client.force_login(editor)

    pages = [
        client.get(CHANGELIST).content.decode(),
        client.get(reverse("admin:projects_suggestion_change", args=[suggestion.pk])).content.decode(),
    ]

    for page in pages:
        assert "<img src=x onerror" not in page and "<script>alert('details')" not in page
        assert "<b>bold</b>" not in page and "<i>who</i>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]


def test_accepting_a_source_with_a_very_long_host_name_works_and_names_its_publisher(client, plant, editor):
    """A host name may be 253 characters; the publisher column holds 200. Accepting must not fail
    (PostgreSQL refuses the longer value with an error page) and the source must be added."""
    host = ".".join(["a" * 60] * 4) + ".kz"  # 247 characters, a valid host name
    client.post(URL, suggestion_data(plant, source_url=f"https://{host}/news"))
    assert Suggestion.objects.count() == 1

    response = accept_all(client, editor)

    assert response.status_code == 302
    source = Source.objects.get(url=f"https://{host}/news")
    assert 0 < len(source.publisher) <= Source._meta.get_field("publisher").max_length
    assert Suggestion.objects.get().state == "accepted"


def test_the_editor_can_correct_the_name_to_credit_before_it_is_published(client, plant, editor):
    """The credit line is published as typed: like any public text (issue 10, item 3), an editor must
    be able to change it (here a phone number typed beside the name) before accepting."""
    client.post(URL, suggestion_data(plant, name="Aigerim Sultanova +7 701 555 0101"))
    suggestion = Suggestion.objects.get()
    client.force_login(editor)
    change_url = reverse("admin:projects_suggestion_change", args=[suggestion.pk])
    form = client.get(change_url).content.decode()
    assert 'name="name"' in form

    client.post(change_url, {"name": "Aigerim S.", "editor_note": "Phone removed from the credit."})
    accept_all(client, editor)

    page = client.get(plant.get_absolute_url()).content.decode()
    assert "Aigerim S." in page and "555 0101" not in page
    assert Suggestion.objects.get().email == "aigerim@example.org"  # the contact itself stays as sent
