"""The whole life of a report in a real browser: a resident sends it in Kazakh from a phone, a moderator
redacts and publishes it in the admin, a visitor finds it in Russian and downloads what is public."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.urls import translate_url
from PIL import ExifTags, Image
from playwright.sync_api import expect

from impacts.models import Evidence, ImpactReport
from projects.models import Project

from .site_pages import (
    PHONE_NUMBER,
    fill_required_fields,
    open_filters,
    publish_with_one_photo_hidden,
    submit_report_form,
    submitted_report,
    switch_language,
    write_evidence_files,
)

pytestmark = pytest.mark.browser

STEEL_PLANT = "Sin Yuan Steel LLP steel and steel-rolling plant"


def test_resident_in_kazakh_reports_an_impact_from_a_project_page_on_a_phone(phone_page, site, tmp_path):
    call_command("import_projects", verbosity=0)
    project = Project.objects.get(name_en=STEEL_PLANT)
    gallery = write_evidence_files(tmp_path / "gallery")
    page = phone_page

    page.goto(site + "/")
    switch_language(page, "kk")
    page.locator("header a[href='/kk/projects/']").click()
    open_filters(page)
    page.select_option("#id_sector", "metallurgy")
    page.select_option("#id_status", "launched")
    page.select_option("#id_region", "shymkent")
    page.locator("form[action='/kk/projects/'] button[type=submit]").click()
    expect(page.locator("h3.card-title a")).to_have_count(1)
    page.locator(f"h3.card-title a[href='{translate_url(project.get_absolute_url(), 'kk')}']").click()
    page.locator(f"a[href='/kk/report/?project={project.slug}']").click()

    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("#id_project")).to_have_value(str(project.pk))
    expect(page.locator("#id_language")).to_have_value("kk")
    fill_required_fields(
        page,
        title="Түнде үйлерге қара шаң түседі",
        description="Әр түнде зауыттан қара шаң ауылға түседі. Балалар жөтеледі.",
    )
    page.set_input_files("#id_files", [gallery.gps_photo, gallery.plain_photo, gallery.pdf])
    submit_report_form(page)

    expect(page).to_have_url(re.compile(r"/report/sent/$"))
    tracking_link = page.locator("#tracking-link").input_value()
    assert re.match(rf"^{re.escape(site)}/kk/track/[^/]+/$", tracking_link)
    report = ImpactReport.objects.get()
    assert report.project == project
    assert report.language == "kk"
    assert sorted(report.evidence.values_list("kind", flat=True)) == ["document", "photo", "photo"]
    expect(page.locator("main")).to_contain_text(report.reference)

    page.goto(tracking_link)
    expect(page.locator("h1")).to_contain_text(report.reference)


def test_moderator_redacts_a_phone_number_hides_a_photo_and_publishes(page, site, moderator):
    report, _token = submitted_report(title="Black dust on the houses")

    page.goto(site + "/admin/")
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "a-long-password-1")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_contain_text("moderator")

    page.goto(f"{site}/admin/impacts/impactreport/{report.pk}/change/")
    public_text = page.locator("#id_public_description")
    expect(public_text).to_have_value(re.compile(re.escape(PHONE_NUMBER)))
    public_text.fill(public_text.input_value().replace(PHONE_NUMBER, "[phone number removed]"))
    for item in page.locator(".inline-related:has(select[name$='-visibility'])").all():
        if "black-snow.jpg" in item.inner_text():
            item.locator("select[name$='-visibility']").select_option("hidden")
            item.locator("input[name$='-hidden_reason']").fill("Shows a neighbour's face")
        else:
            item.locator("select[name$='-visibility']").select_option("approved")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    page.locator("button[name=action][value=start_review]").click()
    page.locator("button[name=action][value=publish]").click()

    expect(page.locator(".messagelist")).to_be_visible()
    report.refresh_from_db()
    assert report.status == "published"
    assert PHONE_NUMBER not in report.public_description
    assert PHONE_NUMBER in report.description, "the text as submitted is kept unchanged"
    hidden = Evidence.objects.get(report=report, original_name="black-snow.jpg")
    assert (hidden.visibility, hidden.hidden_reason) == ("hidden", "Shows a neighbour's face")


def test_visitor_in_russian_finds_the_report_sees_one_photo_without_gps_and_downloads_the_csv(page, site, moderator):
    call_command("import_projects", verbosity=0)
    project = Project.objects.get(name_en=STEEL_PLANT)
    report, token = submitted_report(project, title="Чёрная пыль на крышах", description="Каждую ночь пыль.")
    submitted_report(title="Шум по ночам", description="Грохот до утра.")  # published too, must not match
    publish_with_one_photo_hidden(report, moderator)
    other = ImpactReport.objects.exclude(pk=report.pk).get()
    publish_with_one_photo_hidden(other, moderator)

    page.goto(site + "/")
    switch_language(page, "ru")
    page.goto(site + "/ru/reports/")
    open_filters(page)
    page.fill("#id_q", "пыль")
    page.select_option("#id_project", str(project.pk))
    page.locator("form[action='/ru/reports/'] button[type=submit]").click()
    results = page.locator("h3.card-title a")
    expect(results).to_have_count(1)
    expect(results).to_have_text("Чёрная пыль на крышах")

    with page.expect_download() as download_info:
        page.locator("a[href^='/ru/reports/export.csv']").click()
    rows = list(csv.reader(io.StringIO(download_info.value.path().read_text(encoding="utf-8-sig"))))
    assert any(report.reference in row for row in rows[1:])
    assert not any(other.reference in row for row in rows[1:])

    results.click()
    expect(page.locator("h1")).to_have_text("Чёрная пыль на крышах")
    photos = page.locator("section[aria-labelledby=evidence-heading] img")
    expect(photos).to_have_count(1)
    full_size = photos.locator("xpath=..").get_attribute("href")
    response = page.request.get(site + full_size)
    assert response.ok and response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.body()))
    assert ExifTags.IFD.GPSInfo not in image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    page.goto(f"{site}/track/{token}/")
    expect(page.locator(f"a[href='{report.get_absolute_url()}']")).to_be_visible()
