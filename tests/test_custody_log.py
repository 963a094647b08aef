"""A senior moderator exports a report's custody log for a court; anyone can check it was not edited.

The log is built from what the site recorded (history, workflow steps, files received, downloads of
originals), each line chained to the one before by its hash and signed with the site's key.
`manage.py verify_custody_log FILE` accepts the file as exported and refuses it after any change.
"""

import json

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from impacts import workflow
from impacts.evidence import custody, prepare_evidence
from impacts.models import EvidenceWriter, ImpactReport
from kzcn.admin_site import ListLookupGuard
from tests import evidence_files
from tests.reports import make_report
from tests.test_public_place import MARKERS, PUBLIC, TYPED

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled_report(moderator, senior_moderator, client):
    """Sent with a photo, reviewed, edited and published by a moderator; its original downloaded."""
    moderator.first_name, moderator.last_name = "Aigerim", "Sadykova"
    moderator.save()
    report = make_report(**TYPED, **PUBLIC)
    with EvidenceWriter() as writer:
        photo = writer.store(
            report,
            prepare_evidence(
                SimpleUploadedFile("IMG_1.jpg", evidence_files.jpeg_with_gps(), content_type="image/jpeg")
            ),
        )
    workflow.apply(report, "start_review", by=moderator)
    report.refresh_from_db()
    report.public_title = "Dust over the village"
    report._history_user = moderator
    report.save()
    workflow.apply(report, "publish", by=moderator)
    client.force_login(senior_moderator)
    assert client.get(reverse("admin:impacts_evidence_sealed", args=[photo.pk])).status_code == 200
    client.logout()
    report.refresh_from_db()
    return report, photo


def export(client, user, report):
    client.force_login(user)
    return client.get(reverse("admin:impacts_impactreport_custody_log", args=[report.pk]))


@pytest.fixture
def exported(client, senior_moderator, handled_report, tmp_path):
    report, photo = handled_report
    response = export(client, senior_moderator, report)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="custody-{report.reference}.jsonl"'
    path = tmp_path / "custody.jsonl"
    path.write_bytes(response.content)
    return path, photo


def lines_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def verify_file(path, *extra) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_custody_log", str(path), *extra, stdout=out)
    return out.getvalue()


def test_the_log_tells_the_story_of_the_report_and_verifies(exported, handled_report):
    path, photo = exported
    entries = lines_of(path)
    assert [entry["action"] for entry in entries] == [
        "report_received",
        "evidence_received",
        "start_review",
        "report_edited",
        "publish",
        "original_download",
        "custody_log_exported",
    ]
    received = entries[1]
    assert received["evidence_sha256"] == photo.sha256
    assert received["detail"]["public_copy_sha256"] == photo.public_sha256
    assert (entries[2]["actor_role"], entries[2]["actor"]) == ("moderator", "Aigerim Sadykova")
    assert entries[3]["detail"] == {"fields": ["public_title"]}
    assert entries[5]["actor_role"] == "senior moderator" and entries[5]["evidence_sha256"] == photo.sha256
    assert entries[0]["previous"] == custody.GENESIS
    assert all(entry["previous"] == before["hash"] for before, entry in zip(entries, entries[1:], strict=False))
    assert "verified (hash chain and signatures), 7 entries" in verify_file(path)


def test_the_log_copies_no_private_word_and_no_login_name(exported, moderator, senior_moderator):
    text = exported[0].read_text()
    for marker in [*MARKERS, TYPED["title"], "43.3", moderator.email, senior_moderator.email]:
        assert marker not in text, marker
    actors = {entry["actor"] for entry in lines_of(exported[0])}
    assert actors == {"", "Aigerim Sadykova", f"Staff member #{senior_moderator.pk}"}


def tamper(path, number: int, change) -> None:
    lines = path.read_text().splitlines(keepends=True)
    entry = json.loads(lines[number])
    change(entry)
    lines[number] = json.dumps(entry, sort_keys=True) + "\n"
    path.write_text("".join(lines))


@pytest.mark.parametrize("change", [
    lambda entry: entry.update(actor="Someone Else"),
    lambda entry: entry["detail"].update(to="rejected"),
    lambda entry: entry.update(time=entry["time"].replace("T", "T0")),
], ids=["actor", "detail", "time"])  # fmt: skip
def test_changing_any_line_fails_verification_at_that_line(exported, change):
    path, _ = exported
    tamper(path, 4, change)
    with pytest.raises(CommandError, match="line 5: its content does not match its hash"):
        verify_file(path)


def test_a_line_rehashed_after_editing_still_fails_on_the_next_line(exported):
    path, _ = exported
    tamper(
        path,
        4,
        lambda entry: entry.update(
            actor="Someone Else", hash=custody.entry_hash(entry["previous"], {**entry, "actor": "Someone Else"})
        ),
    )
    with pytest.raises(CommandError, match="line 6: does not follow the entry before it"):
        verify_file(path, "--chain-only")
    with pytest.raises(CommandError, match="line 5: signature does not match"):
        verify_file(path)


@pytest.mark.parametrize("cut", ["middle", "end"])
def test_removing_a_line_fails_verification(exported, cut):
    path, _ = exported
    lines = path.read_text().splitlines(keepends=True)
    del lines[3 if cut == "middle" else -1]
    path.write_text("".join(lines))
    with pytest.raises(CommandError, match="NOT VERIFIED"):
        verify_file(path)


def test_a_log_signed_with_another_key_fails_the_signature_but_not_the_chain(exported, settings):
    path, _ = exported
    settings.KZCN_CUSTODY_KEY = "another-site's-key-" * 4
    with pytest.raises(CommandError, match="line 1: signature does not match"):
        verify_file(path)
    assert "verified (hash chain)" in verify_file(path, "--chain-only")


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "not-a-log.jsonl"
    path.write_text("hello\n")
    with pytest.raises(CommandError, match="line 1: not JSON"):
        verify_file(path)
    with pytest.raises(CommandError, match="cannot read"):
        verify_file(tmp_path / "missing.jsonl")


def test_only_senior_moderators_can_export(client, handled_report, moderator, editor, senior_moderator):
    report, _ = handled_report
    assert export(client, moderator, report).status_code == 403
    assert export(client, editor, report).status_code == 403
    change = reverse("admin:impacts_impactreport_change", args=[report.pk])
    export_url = reverse("admin:impacts_impactreport_custody_log", args=[report.pk])
    client.force_login(moderator)
    assert export_url not in client.get(change).content.decode()
    client.force_login(senior_moderator)
    assert export_url in client.get(change).content.decode()
    client.logout()
    assert client.get(export_url).status_code == 302  # to the admin's sign-in


def test_the_export_leaves_the_admin_lookup_guard_in_place(client, handled_report, senior_moderator):
    report, _ = handled_report
    assert isinstance(admin.site._registry[ImpactReport], ListLookupGuard)
    client.force_login(senior_moderator)
    url = reverse("admin:impacts_impactreport_custody_log", args=[report.pk])
    probed = client.get(url + "?contact_email__regex=^zq")
    assert probed.status_code == 200
    assert [e["action"] for e in map(json.loads, probed.content.decode().splitlines())][-1] == "custody_log_exported"
    changelist = reverse("admin:impacts_impactreport_changelist")
    assert client.get(changelist + "?contact_email__regex=^zq").status_code == 400


def test_an_unknown_report_is_a_404_for_a_senior(client, senior_moderator):
    client.force_login(senior_moderator)
    assert client.get(reverse("admin:impacts_impactreport_custody_log", args=[10**8])).status_code == 404
