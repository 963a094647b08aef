"""An Editor and a plain moderator probe the admin of today's models (suggestions, import conflicts and
deletions, sources and events through the project) for the suggester's private details.

The suggester's e-mail and name are for the editors who review the suggestion, on its own page; no
list may be filtered by them (that would let anyone with a list spell them out), whichever admin the
list belongs to and whichever relation leads there. The walk is over the admin registry, so an admin
added later is covered too.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from projects.models import Suggestion
from tests.catalogue import make_project
from tests.test_admin_lookups import LOOKUPS, probe_leak

pytestmark = pytest.mark.django_db

SUGGESTER_PRIVATE = ["email", "name", "submission_key"]
SECRETS = {
    "a": {"email": "aigerim.s@mail.kz", "name": "Aigerim Sultanova"},
    "b": {"email": "nurlan.b@inbox.kz", "name": "Nurlan Bekov"},
}


def paths_to_suggester(model, depth: int = 3, seen=()) -> list[str]:
    """Every `a__b__field` path from `model` to a suggester's private field, through up to `depth` relations."""
    paths = list(SUGGESTER_PRIVATE) if model is Suggestion else []
    if depth == 0:
        return paths
    for field in model._meta.get_fields():
        related = getattr(field, "related_model", None)
        if not field.is_relation or related is None or related in seen or related is model:
            continue
        paths += [f"{field.name}__{rest}" for rest in paths_to_suggester(related, depth - 1, (*seen, model))]
    return paths


REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
REACHING = [(model._meta.label, model_admin) for model, model_admin in REGISTRY if paths_to_suggester(model)]


@pytest.fixture
def two_suggesters():
    project = make_project(name_en="Cement plant", slug="cement-plant")
    for key, values in SECRETS.items():
        Suggestion.objects.create(
            kind="correction",
            project=project,
            details="Same public claim",
            source_url="https://example.org/same",
            submission_key=f"key-{key}",
            **values,
        )
    return project


def test_some_admin_lists_do_reach_the_suggester():
    assert {"projects.Suggestion", "projects.Project"} <= {label for label, _ in REACHING}


@pytest.mark.parametrize("role", ["editor", "moderator"])
@pytest.mark.parametrize(("label", "model_admin"), REACHING, ids=[label for label, _ in REACHING])
def test_no_list_accepts_a_lookup_on_the_suggesters_details(request, role, label, model_admin):
    user = request.getfixturevalue(role)
    probe = RequestFactory().get("/")
    probe.user = user
    paths = paths_to_suggester(model_admin.model)
    accepted = [
        f"{path}__{lookup}"
        for path in paths
        for lookup in LOOKUPS
        if model_admin.lookup_allowed(f"{path}__{lookup}", "x", probe)
    ]
    accepted += [path for path in paths if model_admin.lookup_allowed(path, "x", probe)]
    assert accepted == []


@pytest.mark.parametrize("role", ["editor", "moderator"])
@pytest.mark.parametrize(
    ("list_name", "prefix"),
    [
        ("admin:projects_suggestion_changelist", ""),
        ("admin:projects_project_changelist", "suggestions__"),
        ("admin:projects_company_changelist", "parties__project__suggestions__"),
    ],
)
def test_the_answer_through_the_address_is_the_same_whoever_suggested(
    request, client, two_suggesters, role, list_name, prefix
):
    client.force_login(request.getfixturevalue(role))
    url = reverse(list_name)
    leaks = []
    for field in ("email", "name"):
        for lookup in LOOKUPS:
            parameter = f"{prefix}{field}__{lookup}"
            leak = probe_leak(client, url, parameter, lookup, [SECRETS[key][field] for key in ("a", "b")])
            if leak:
                leaks.append(leak)
    assert leaks == []


def test_the_editors_search_box_does_not_search_the_suggesters_contact(client, editor, two_suggesters):
    client.force_login(editor)
    listing = client.get(reverse("admin:projects_suggestion_changelist"), {"q": "aigerim.s@mail.kz"})
    assert listing.status_code == 200
    assert "0 suggestions" in listing.content.decode()


def test_a_plain_moderator_cannot_open_suggestions_or_their_history(client, moderator, two_suggesters):
    client.force_login(moderator)
    suggestion = Suggestion.objects.first()
    for name in ("change", "history"):
        response = client.get(reverse(f"admin:projects_suggestion_{name}", args=[suggestion.pk]))
        assert response.status_code == 403
        assert "mail.kz" not in response.content.decode()
    project_page = client.get(reverse("admin:projects_project_change", args=[two_suggesters.pk])).content.decode()
    assert "mail.kz" not in project_page and "Aigerim" not in project_page
