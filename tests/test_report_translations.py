"""A moderator translates a published report; readers see it marked as a translation."""

import pytest
from django.urls import reverse, translate_url

from impacts.models import ReportTranslation, Status
from tests.reports import make_report

pytestmark = pytest.mark.django_db


def test_reader_in_another_language_sees_the_marked_translation_and_can_open_the_original(client):
    report = make_report(status=Status.PUBLISHED, language="kk", public_title="Шаң", public_description="Түнде шаң")
    ReportTranslation.objects.create(report=report, language="ru", title="Пыль", text="Ночью пыль", method="machine")
    russian_page = translate_url(report.get_absolute_url(), "ru")
    page = client.get(russian_page).content.decode()
    assert "Ночью пыль" in page and "Түнде шаң" not in page
    assert "?original=1" in page
    original = client.get(russian_page + "?original=1").content.decode()
    assert "Түнде шаң" in original


def test_reader_in_the_report_language_sees_the_original(client):
    report = make_report(status=Status.PUBLISHED, language="kk", public_description="Түнде шаң")
    ReportTranslation.objects.create(report=report, language="en", title="Dust", text="Dust at night", method="human")
    assert "Түнде шаң" in client.get(translate_url(report.get_absolute_url(), "kk")).content.decode()


def test_moderator_adds_a_translation_in_the_admin_and_it_records_who(client, moderator):
    from tests.test_moderation import inline_management_data

    report = make_report(status=Status.PUBLISHED, language="ru")
    client.force_login(moderator)
    url = reverse("admin:impacts_impactreport_change", args=[report.pk])
    data = {
        "public_title": report.public_title,
        "public_description": report.public_description,
        "public_note": "",
        "internal_notes": "",
        "assigned_to": "",
        "public_latitude": "",
        "public_longitude": "",
        "seen_version": report.version,
        **inline_management_data(),
        "translations-TOTAL_FORMS": 1,
        "translations-0-language": "en",
        "translations-0-method": "human",
        "translations-0-title": "Dust",
        "translations-0-text": "Dust at night",
        "translations-0-report": report.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    translation = ReportTranslation.objects.get()
    assert translation.translated_by == moderator and translation.method == "human"
