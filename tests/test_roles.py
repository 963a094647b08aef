"""Each staff role sees and does exactly what it needs, no more."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from impacts.models import Evidence, SealedAccess, Status
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db


def make_evidence(report, sha256="a" * 64):
    item = Evidence(
        report=report,
        kind="photo",
        sha256=sha256,
        content_type="image/jpeg",
        size=3,
        gps_latitude="43.300000",
        gps_longitude="68.250000",
        captured_at="2026:10:01 08:00:00",
    )
    item.sealed_file.save("o.jpg", ContentFile(b"raw"), save=False)
    item.public_file.save("p.jpg", ContentFile(b"pub"), save=False)
    item.thumbnail.save("t.jpg", ContentFile(b"thm"), save=False)
    item.save()
    return item


def change_page(client, user, report):
    client.force_login(user)
    return client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).content.decode()


def test_moderator_cannot_see_contact_details_or_sealed_originals(client, moderator):
    report = make_report(
        status=Status.IN_REVIEW,
        contact_email="secret@example.org",
        contact_phone="+7 701 999 8877",
        reporter_name="Aigul Secret",
    )
    item = make_evidence(report)
    page = change_page(client, moderator, report)
    assert "secret@example.org" not in page and "999 8877" not in page and "Aigul Secret" not in page
    assert "68.25" not in page  # GPS of the original
    assert client.get(reverse("admin:impacts_evidence_sealed", args=[item.pk])).status_code == 403
    assert not SealedAccess.objects.exists()


def test_senior_moderator_sees_contacts_and_downloads_original_which_is_logged(client, senior_moderator):
    report = make_report(status=Status.IN_REVIEW, contact_email="secret@example.org")
    item = make_evidence(report)
    page = change_page(client, senior_moderator, report)
    assert "secret@example.org" in page and "68.25" in page
    response = client.get(reverse("admin:impacts_evidence_sealed", args=[item.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert SealedAccess.objects.get().user == senior_moderator


def test_moderator_cannot_delete_reports_or_manage_users(client, moderator):
    report = make_report()
    client.force_login(moderator)
    assert client.get(reverse("admin:impacts_impactreport_delete", args=[report.pk])).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:projects_project_add")).status_code == 403


def test_moderator_sees_unpublished_evidence_but_anonymous_does_not(client, moderator):
    item = make_evidence(make_report(status=Status.IN_REVIEW))
    url = reverse("impacts:evidence_file", args=[item.pk, "thumb"])
    assert client.get(url).status_code == 404
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_editor_edits_projects_only(client, editor):
    project = make_site_project()
    report = make_report()
    client.force_login(editor)
    assert client.get(reverse("admin:projects_project_change", args=[project.pk])).status_code == 200
    assert client.get(reverse("admin:impacts_impactreport_changelist")).status_code == 403
    assert client.get(reverse("admin:impacts_impactreport_change", args=[report.pk])).status_code == 403


def test_hidden_evidence_stays_private_after_publication(client, moderator):
    from impacts import workflow

    report = make_report(status=Status.IN_REVIEW)
    shown, hidden = make_evidence(report), make_evidence(report, sha256="b" * 64)
    Evidence.objects.filter(pk=shown.pk).update(visibility="approved")
    Evidence.objects.filter(pk=hidden.pk).update(visibility="hidden", hidden_reason="faces")
    workflow.apply(report, "publish", by=moderator)
    client.logout()
    assert client.get(reverse("impacts:evidence_file", args=[shown.pk, "public"])).status_code == 200
    assert client.get(reverse("impacts:evidence_file", args=[hidden.pk, "public"])).status_code == 404
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("impacts:evidence_file", args=[shown.pk, "thumb"]) in page
    assert reverse("impacts:evidence_file", args=[hidden.pk, "thumb"]) not in page


def test_every_permission_named_in_the_roles_exists_after_migrations():
    from django.contrib.auth.models import Group

    from impacts.roles import ROLES

    for name, codenames in ROLES.items():
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}
        assert granted == set(codenames), name


@pytest.mark.django_db(transaction=True)
def test_the_role_groups_come_back_after_a_flush():
    """A flush empties auth_group (as each transactional test does when it ends); the groups come back
    with their permissions, so tests run after it in the same process, or a flushed site, keep them."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from impacts.roles import ROLES

    call_command("flush", interactive=False, verbosity=0)
    for name, codenames in ROLES.items():
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}
        assert granted == set(codenames), name
