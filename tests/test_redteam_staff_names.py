"""A plain moderator reads the history of projects and reports in the admin. Issue 10 (item 6) found
staff login names offered to every moderator; the pages added since (a project's record of editors'
changes, Django's history of a project, the versions of a report) showed them again. A login name is
half of what signing in needs: staff see each other by display name only.
"""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from projects import provenance
from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db

LOGINS = ["zq.dana.login", "zq.nameless.login"]


@pytest.fixture
def colleagues(django_user_model):
    """An editor with a full name and a moderator without one, each known by a login nobody should read."""
    dana = django_user_model.objects.create_user(
        LOGINS[0], "dana@example.org", "a-long-password-1", is_staff=True, first_name="Dana", last_name="Editorova"
    )
    dana.groups.add(Group.objects.get(name="Editors"))
    nameless = django_user_model.objects.create_user(LOGINS[1], "n@example.org", "a-long-password-1", is_staff=True)
    nameless.groups.add(Group.objects.get(name="Moderators"))
    return dana, nameless


@pytest.fixture
def worked_on(colleagues):
    dana, nameless = colleagues
    project = make_project(name_en="Cement plant", slug="cement-plant")
    provenance.mark_edited(project, ["name_ru"], dana)
    project.save()
    LogEntry.objects.log_actions(dana.pk, [project], CHANGE, change_message="Changed the Russian name.")
    report = make_report(status="submitted")
    report._history_user = nameless
    report.internal_notes = "Checked the photos"
    report.save()
    return project, report


def pages(project, report) -> list[str]:
    return [
        reverse("admin:projects_project_change", args=[project.pk]),
        reverse("admin:projects_project_history", args=[project.pk]),
        reverse("admin:impacts_impactreport_history", args=[report.pk]),
    ]


@pytest.mark.parametrize("role", ["moderator", "editor"])
def test_no_admin_page_shows_a_colleagues_login_name(request, client, worked_on, role):
    client.force_login(request.getfixturevalue(role))
    for url in pages(*worked_on):
        response = client.get(url)
        if response.status_code == 403:
            continue
        page = response.content.decode()
        assert response.status_code == 200, url
        for login in LOGINS:
            assert login not in page, (url, login)


def test_colleagues_appear_by_display_name(client, moderator, worked_on, colleagues):
    project, report = worked_on
    client.force_login(moderator)

    record = client.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()
    history = client.get(reverse("admin:projects_project_history", args=[project.pk])).content.decode()
    versions = client.get(reverse("admin:impacts_impactreport_history", args=[report.pk])).content.decode()

    assert "Dana Editorova" in record and "Dana Editorova" in history
    assert f"Staff member #{colleagues[1].pk}" in versions


def test_the_catalogue_records_editors_read_show_colleagues_by_display_name(client, editor, colleagues):
    """Conflicts, deletions and reviewed suggestions name the colleague who acted: by name, never by login."""
    from projects.models import ImportConflict, ImportDeletion, Suggestion

    dana, nameless = colleagues
    project = make_project(name_en="Lime kiln", slug="lime-kiln")
    conflict = ImportConflict.objects.create(
        project=project,
        model="project",
        object_id=project.pk,
        record_label="Lime kiln",
        field="name_ru",
        file_value="A",
        editor_value="B",
        edited_by=dana.username,
        settled_by=nameless,
    )
    deletion = ImportDeletion.objects.create(
        model="project", lookup={"name_en": "Old"}, label="Old plant", deleted_by=dana.username
    )
    suggestion = Suggestion.objects.create(
        kind="correction",
        project=project,
        details="d",
        source_url="https://example.org/s",
        state="accepted",
        reviewed_by=dana,
    )
    client.force_login(editor)
    urls = [
        reverse("admin:projects_importconflict_changelist"),
        reverse("admin:projects_importconflict_change", args=[conflict.pk]),
        reverse("admin:projects_importdeletion_changelist"),
        reverse("admin:projects_importdeletion_change", args=[deletion.pk]),
        reverse("admin:projects_suggestion_change", args=[suggestion.pk]),
    ]
    for url in urls:
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        for login in LOGINS:
            assert login not in page, (url, login)
    assert "Dana Editorova" in client.get(urls[0]).content.decode()
    assert f"Staff member #{nameless.pk}" in client.get(urls[1]).content.decode()
