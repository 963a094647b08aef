"""An editor grows the catalogue in the admin of a real browser, and no import undoes their work.

The editor gives a project its Kazakh name with the source it comes from; a visitor reading in
Kazakh sees that name (marked as the editor recorded it) with its source as a titled footnote;
a later import of the dataset leaves the name in place.
"""

import re

import pytest
from django.core.management import call_command
from django.urls import translate_url
from playwright.sync_api import expect

from projects.models import ImportConflict, Project, Suggestion
from tests import evidence_files

pytestmark = pytest.mark.browser

SHELEK = "shelek-wind-farm-60-mw"
KAZAKH_NAME = "Шелек жел электр станциясы (60 МВт)"


def sign_in(page, site, username: str) -> None:
    page.goto(site + "/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-password-1")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_contain_text(username)


def test_editor_adds_a_kazakh_name_with_its_source_and_a_kazakh_visitor_sees_it_after_a_reimport(page, site, editor):
    call_command("import_projects", verbosity=0)
    shelek = Project.objects.get(slug=SHELEK)
    sign_in(page, site, "editor")
    page.goto(f"{site}/admin/projects/project/{shelek.pk}/change/")

    # Without a source the change is refused, and nothing is saved.
    page.fill("#id_name_kk", KAZAKH_NAME)
    page.select_option("#id_name_kk_origin", "human")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    expect(page.locator("#project_form")).to_contain_text("Choose the source of this change")
    assert Project.objects.get(slug=SHELEK).name_kk == ""

    # With a new source (title, publisher, date, address) it is saved and marked edited.
    page.fill("#id_name_kk", KAZAKH_NAME)
    page.select_option("#id_name_kk_origin", "human")
    page.fill("#id_new_source_title", "Шелек ЖЭС іске қосылды")
    page.fill("#id_new_source_publisher", "Kazinform")
    page.fill("#id_new_source_published", "2022-09-30")
    page.fill("#id_new_source_url", "https://www.inform.kz/kz/shelek-zhes")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".field-edit_record")).to_contain_text("editor")

    # A public hearing on the timeline, citing the same new source.
    page.locator("#events-group .add-row a").click()
    row = "#id_events-0"
    page.select_option(f"{row}-kind", "public_hearing")
    page.fill(f"{row}-date", "2017-03-14")
    page.select_option(f"{row}-date_precision", "day")
    page.fill(f"{row}-summary", "Public hearing on the wind farm's OVOS.")
    page.fill(f"{row}-place", "Shelek village")
    page.select_option(f"{row}-source", label="Шелек ЖЭС іске қосылды")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    # The file has no Kazakh name: a re-import keeps the editor's, and has nothing to dispute.
    call_command("import_projects", verbosity=0)
    assert Project.objects.get(slug=SHELEK).name_kk == KAZAKH_NAME
    assert not ImportConflict.objects.exists()

    page.goto(site + translate_url(shelek.get_absolute_url(), "kk"))
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("h1")).to_have_text(KAZAKH_NAME)
    expect(page.locator("h1 .not-translated")).to_have_count(0)
    footnote = page.locator("dd:has(span[lang=kk]) sup a")
    target = footnote.get_attribute("href")
    expect(page.locator(f"li{target} a")).to_have_text("Шелек ЖЭС іске қосылды")

    hearing = page.locator("#timeline .timeline-entry[data-kind=public_hearing]")
    expect(hearing).to_contain_text("Public hearing on the wind farm's OVOS.")
    expect(hearing).to_contain_text("Shelek village")

    # In the Kazakh catalogue list, the name is shown and sorted as the visitor reads it.
    page.goto(site + "/kk/projects/?sector=power&ordering=-name")
    expect(page.locator("h3.card-title a").first).to_have_text(re.compile("^Шелек"))


def test_a_visitors_suggestion_reaches_the_editors_queue_and_is_not_public_before_acceptance(
    phone_page, browser, site, editor
):
    call_command("import_projects", verbosity=0)
    shelek = Project.objects.get(slug=SHELEK)
    page = phone_page
    kazakh_page = site + translate_url(shelek.get_absolute_url(), "kk")

    page.goto(kazakh_page)
    page.locator(f"a[href='/kk/projects/suggest/?project={SHELEK}']").click()
    expect(page.locator("#id_project")).to_have_value(str(shelek.pk))
    page.fill("#id_details", "Жобаның құны 130 млн АҚШ доллары деп жазылған.")
    page.fill("#id_source_url", "https://example.org/shelek-cost")
    page.fill("#id_name", "Айгерім")
    page.fill("#id_email", "aigerim@example.org")
    page.check("#id_credit")
    # The akimat's answer is a scanned letter, not online: the visitor attaches it from the phone.
    page.set_input_files(
        "#id_document",
        files=[{"name": "akimat-zhauap.pdf", "mimeType": "application/pdf", "buffer": evidence_files.pdf_bytes()}],
    )
    page.locator("form.suggestion-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/kk/projects/suggest/sent/$"))
    assert Suggestion.objects.get().state == "new"

    page.goto(kazakh_page)
    expect(page.locator("main")).not_to_contain_text("130 млн")
    expect(page.locator("main")).not_to_contain_text("Айгерім")

    editor_page = browser.new_page()
    try:
        sign_in(editor_page, site, "editor")
        editor_page.goto(f"{site}/admin/projects/suggestion/")
        expect(editor_page.locator("#result_list")).to_contain_text("https://example.org/shelek-cost")
        expect(editor_page.locator("#result_list .field-attached_document")).to_have_text("akimat-zhauap.pdf")
        editor_page.locator("#result_list input[name=_selected_action]").first.check()
        editor_page.select_option("select[name=action]", "accept")
        editor_page.locator("button[name=index]").click()
        expect(editor_page.locator(".messagelist")).to_contain_text("1 suggestion accepted.")
    finally:
        editor_page.close()

    page.goto(kazakh_page)
    expect(page.locator("main")).to_contain_text("Айгерім")
    expect(page.locator("main")).not_to_contain_text("aigerim@example.org")
    expect(page.locator("main")).not_to_contain_text("akimat-zhauap")  # the document stays private
