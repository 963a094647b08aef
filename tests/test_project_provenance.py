"""Editors grow the catalogue in the admin, and no import ever undoes their work.

Each imported fact remembers the file's value; an editor's change marks the field edited (who,
when, with which source). A later import updates only facts nobody edited and lists the
disagreements for an editor to settle.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from projects.models import ConflictState, ImportConflict, Project
from tests.catalogue import admin_form_data, copy_data, edit_rows, import_catalogue

pytestmark = pytest.mark.django_db

REFINERY = "reconstruction-and-modernization-of-shymkent-oil-refinery-2-phases"
SHELEK = "shelek-wind-farm-60-mw"
MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def change_url(project: Project) -> str:
    return reverse("admin:projects_project_change", args=[project.pk])


def edit_in_admin(client, project: Project, **changes):
    """Open the project's change form and save it with ``changes``, as an editor does."""
    form = client.get(change_url(project))
    assert form.status_code == 200
    return client.post(change_url(project), admin_form_data(form, **changes))


def main_source(project: Project):
    return project.sources.get(is_primary=True)


# The story -----------------------------------------------------------------------------------


def test_an_editors_change_survives_a_reimport_and_the_disagreement_is_listed_once(editor_client, editor):
    import_catalogue()
    refinery = Project.objects.get(slug=REFINERY)

    response = edit_in_admin(editor_client, refinery, cost_usd_million="2500", change_source=main_source(refinery).pk)
    assert response.status_code == 302, response.content.decode()[:3000]
    refinery.refresh_from_db()
    assert refinery.cost_usd_million == Decimal("2500")
    assert refinery.edited_fields["cost_usd_million"]["by"] == "editor"
    assert refinery.edited_fields["cost_usd_million"]["source"] == main_source(refinery).pk

    stdout, _ = import_catalogue()

    refinery.refresh_from_db()
    assert refinery.cost_usd_million == Decimal("2500")  # the editor's value stays
    assert f"project {refinery} field cost_usd_million: the file says '2100', an editor says '2500'" in stdout
    assert "Conflicts with editors' changes: 1 new, 0 already listed." in stdout
    conflict = ImportConflict.objects.get()
    assert (conflict.project, conflict.field, conflict.file_value, conflict.editor_value) == (
        refinery,
        "cost_usd_million",
        "2100",
        "2500",
    )
    assert conflict.edited_by == "editor" and conflict.edited_at is not None
    assert conflict.state == ConflictState.OPEN

    # Run again: nothing changes, the conflict is not listed twice.
    stdout, _ = import_catalogue()
    assert "project: 0 created, 0 updated, 29 unchanged" in stdout
    assert "Conflicts with editors' changes: 0 new, 1 already listed." in stdout
    assert ImportConflict.objects.count() == 1


def test_the_other_facts_of_an_edited_project_still_follow_the_file(editor_client, tmp_path):
    data = copy_data(tmp_path)
    import_catalogue(str(data))
    shelek = Project.objects.get(slug=SHELEK)
    edit_in_admin(editor_client, shelek, capacity="60 MW", change_source=main_source(shelek).pk)

    def new_figures(row):
        if row["name_en"].startswith("Shelek"):
            row["capacity"] = "60 MW (24 turbines)"
            row["start_year"] = "2020"
        return row

    edit_rows(data / "kz_cn_projects.csv", new_figures)
    import_catalogue(str(data))

    shelek.refresh_from_db()
    assert shelek.capacity == "60 MW"  # the editor's
    assert shelek.start_year == 2020  # nobody edited it: the file's correction applies
    assert ImportConflict.objects.get().field == "capacity"


def test_a_change_made_outside_the_admin_is_kept_too():
    import_catalogue()
    Project.objects.filter(slug=SHELEK).update(settlement="Shelek village")

    import_catalogue()

    assert Project.objects.get(slug=SHELEK).settlement == "Shelek village"
    assert ImportConflict.objects.get().field == "settlement"


def test_an_editors_change_to_a_company_row_and_a_source_title_survives_a_reimport(editor_client):
    import_catalogue()
    refinery = Project.objects.get(slug=REFINERY)
    form = editor_client.get(change_url(refinery))
    data = admin_form_data(form)
    prefix = next(
        key
        for key, value in data.items()
        if key.startswith("parties-") and key.endswith("-note") and value == "KazMunayGas and CNPC partnership"
    )
    data[prefix] = "joint venture of KazMunayGas and CNPC (50/50)"
    title_key = next(
        key
        for key, value in data.items()
        if key.startswith("sources-")
        and key.endswith("-url")
        and value == "https://crudeaccountability.org/clear-as-oil-transparency-of-chinese-projects-in-kazakhstan"
    )
    data[title_key.replace("-url", "-title")] = "Clear as Oil: Transparency of Chinese Projects in Kazakhstan"
    data[prefix.replace("-note", "-source")] = str(main_source(refinery).pk)
    assert editor_client.post(change_url(refinery), data).status_code == 302

    import_catalogue()

    party = refinery.parties.get(company__name="PetroKazakhstan Oil Products LLP")
    assert party.note == "joint venture of KazMunayGas and CNPC (50/50)"
    assert party.edited_fields["note"]["by"] == "editor"
    source = refinery.sources.get(url__startswith="https://crudeaccountability.org/")
    assert source.title == "Clear as Oil: Transparency of Chinese Projects in Kazakhstan"
    assert ImportConflict.objects.get().record_label == str(party)


# Settling a conflict -------------------------------------------------------------------------


@pytest.fixture
def conflict(editor_client):
    import_catalogue()
    refinery = Project.objects.get(slug=REFINERY)
    edit_in_admin(editor_client, refinery, cost_usd_million="2500", change_source=main_source(refinery).pk)
    import_catalogue()
    return ImportConflict.objects.get()


def settle(client, conflict, action):
    changelist = reverse("admin:projects_importconflict_changelist")
    listing = client.get(changelist).content.decode()
    assert "2100" in listing and "2500" in listing  # file says X, editor says Y
    return client.post(changelist, {"action": action, "_selected_action": [conflict.pk]}, follow=True)


def test_editor_takes_the_files_value_and_the_fact_follows_the_file_again(editor_client, editor, conflict):
    response = settle(editor_client, conflict, "take_files_value")

    assert "1 conflict settled." in response.content.decode()
    refinery = Project.objects.get(slug=REFINERY)
    assert refinery.cost_usd_million == Decimal("2100")
    assert "cost_usd_million" not in refinery.edited_fields
    conflict.refresh_from_db()
    assert (conflict.state, conflict.settled_by) == (ConflictState.TOOK_FILE, editor)
    stdout, _ = import_catalogue()
    assert "project: 0 created, 0 updated, 29 unchanged" in stdout
    assert "0 new, 0 already listed" in stdout


def test_editor_keeps_their_value_and_the_same_disagreement_is_not_raised_again(editor_client, conflict, tmp_path):
    settle(editor_client, conflict, "keep_editors_value")

    import_catalogue()
    assert Project.objects.get(slug=REFINERY).cost_usd_million == Decimal("2500")
    assert ImportConflict.objects.filter(state=ConflictState.OPEN).count() == 0

    # A new figure in the file is news again.
    data = copy_data(tmp_path)
    edit_rows(
        data / "kz_cn_projects.csv",
        lambda row: {**row, "value_usd_million": "2200"} if row["name_en"].startswith("Reconstruction") else row,
    )
    import_catalogue(str(data))
    assert ImportConflict.objects.get(state=ConflictState.OPEN).file_value == "2200"


def test_a_moderator_cannot_see_or_settle_conflicts(client, moderator, conflict):
    client.force_login(moderator)

    assert client.get(reverse("admin:projects_importconflict_changelist")).status_code == 403


# Every change has its source -----------------------------------------------------------------


def test_a_changed_fact_without_a_source_is_refused_and_nothing_is_saved(editor_client):
    import_catalogue()
    shelek = Project.objects.get(slug=SHELEK)

    response = edit_in_admin(editor_client, shelek, cost_usd_million="75")

    assert response.status_code == 200
    assert "Choose the source of this change, or add a new one" in response.content.decode()
    shelek.refresh_from_db()
    assert shelek.cost_usd_million is None and shelek.edited_fields == {}


def test_a_new_source_given_with_the_change_is_saved_and_footnotes_the_fact_by_its_title(editor_client, client):
    import_catalogue()
    shelek = Project.objects.get(slug=SHELEK)

    response = edit_in_admin(
        editor_client,
        shelek,
        cost_usd_million="75",
        new_source_title="Shelek wind farm commissioned",
        new_source_publisher="Kazinform",
        new_source_published="2022-09-30",
        new_source_url="https://www.inform.kz/ru/shelek-wind",
    )

    assert response.status_code == 302
    source = shelek.sources.get(url="https://www.inform.kz/ru/shelek-wind")
    assert (source.title, source.publisher, str(source.published)) == (
        "Shelek wind farm commissioned",
        "Kazinform",
        "2022-09-30",
    )
    page = client.get(shelek.get_absolute_url()).content.decode()
    number = page.split('rel="noopener noreferrer">Shelek wind farm commissioned</a>')[0].rsplit('id="source-', 1)[1]
    number = number.split('"')[0]
    assert f'USD 75 million<sup><a href="#source-{number}"' in page


@pytest.mark.parametrize(
    ("new_source", "message"),
    [
        ({"new_source_url": "https://example.org/a"}, "A new source needs at least its title and its address (URL)."),
        ({"new_source_title": "A report"}, "A new source needs at least its title and its address (URL)."),
    ],
)
def test_a_new_source_without_title_or_address_is_refused(editor_client, new_source, message):
    import_catalogue()
    shelek = Project.objects.get(slug=SHELEK)

    response = edit_in_admin(editor_client, shelek, cost_usd_million="75", **new_source)

    assert message in response.content.decode()
    assert Project.objects.get(slug=SHELEK).cost_usd_million is None


def test_a_company_row_added_without_its_source_is_refused(editor_client):
    import_catalogue()
    shelek = Project.objects.get(slug=SHELEK)
    form = editor_client.get(change_url(shelek))
    data = admin_form_data(form)
    total = int(data["parties-TOTAL_FORMS"])
    company = shelek.parties.first().company
    data.update(
        {
            "parties-TOTAL_FORMS": str(total + 1),
            f"parties-{total}-company": str(company.pk),
            f"parties-{total}-role": "operator",
        }
    )

    response = editor_client.post(change_url(shelek), data)

    assert response.status_code == 200
    assert "Choose the source of this fact" in response.content.decode()
    assert not shelek.parties.filter(role="operator").exists()


# make run ------------------------------------------------------------------------------------


def test_make_run_imports_only_into_an_empty_catalogue():
    assert "manage.py import_projects --if-empty" in MAKEFILE.read_text()

    stdout, _ = import_catalogue(if_empty=True)
    assert "project: 29 created" in stdout

    Project.objects.filter(slug=SHELEK).update(name_kk="Шелек жел электр станциясы")
    Project.objects.filter(slug=REFINERY).update(cost_usd_million=1)
    stdout, _ = import_catalogue(if_empty=True)

    assert stdout.startswith("The catalogue already has 29 projects: nothing imported.")
    assert Project.objects.get(slug=SHELEK).name_kk == "Шелек жел электр станциясы"
    assert Project.objects.get(slug=REFINERY).cost_usd_million == 1
    assert not ImportConflict.objects.exists()


def test_a_source_added_by_an_editor_needs_its_title_so_no_page_shows_a_bare_address(editor_client):
    import_catalogue()
    shelek = Project.objects.get(slug=SHELEK)
    data = admin_form_data(editor_client.get(change_url(shelek)))
    total = int(data["sources-TOTAL_FORMS"])
    data.update({"sources-TOTAL_FORMS": str(total + 1), f"sources-{total}-url": "https://example.org/untitled"})

    response = editor_client.post(change_url(shelek), data)

    assert response.status_code == 200
    assert "Give the source&#x27;s title." in response.content.decode()
    assert not shelek.sources.filter(url="https://example.org/untitled").exists()


def test_rows_an_editor_deleted_are_not_brought_back_by_the_import(editor_client):
    import_catalogue()
    shelek = Project.objects.get(slug=SHELEK)
    data = admin_form_data(editor_client.get(change_url(shelek)))
    party = shelek.parties.get(company__name="Energiya-Semirechya LLP")
    prefix = next(
        key[: -len("-id")]
        for key, value in data.items()
        if key.startswith("parties-") and key.endswith("-id") and str(value) == str(party.pk)
    )
    event = shelek.events.get()
    event_prefix = next(
        key[: -len("-id")]
        for key, value in data.items()
        if key.startswith("events-") and key.endswith("-id") and str(value) == str(event.pk)
    )
    data.update({f"{prefix}-DELETE": "on", f"{event_prefix}-DELETE": "on"})
    assert editor_client.post(change_url(shelek), data).status_code == 302

    stdout, stderr = import_catalogue()

    assert not shelek.parties.filter(company__name="Energiya-Semirechya LLP").exists()
    assert not shelek.events.exists()
    assert "Kept deleted by editors: 2." in stdout and stderr == ""


def test_a_project_deleted_in_the_admin_is_not_brought_back(client, django_user_model):
    import_catalogue()
    chief = django_user_model.objects.create_superuser("chief", "chief@example.org", "a-long-password-1")
    client.force_login(chief)
    shelek = Project.objects.get(slug=SHELEK)

    client.post(reverse("admin:projects_project_delete", args=[shelek.pk]), {"post": "yes"})
    stdout, stderr = import_catalogue()

    assert not Project.objects.filter(slug=SHELEK).exists()
    assert "project: 0 created, 0 updated, 28 unchanged" in stdout
    assert stderr == ""
