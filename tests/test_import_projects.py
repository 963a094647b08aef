"""An editor loads the catalogue from the CSV files with `manage.py import_projects`."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects import catalogue_csv
from projects.models import Company, Financing, ProgrammeFigure, Project, ProjectParty, Source
from tests.catalogue import copy_data, edit_rows, import_catalogue

pytestmark = pytest.mark.django_db

REFINERY = "reconstruction-and-modernization-of-shymkent-oil-refinery-2-phases"
SHELEK = "shelek-wind-farm-60-mw"
ORDA_GLASS = "orda-glass-float-sheet-glass-plant"
SIN_YUAN = "sin-yuan-steel-llp-steel-and-steel-rolling-plant"


def database_counts() -> dict[str, int]:
    models = [Project, Source, Company, ProjectParty, Financing, ProgrammeFigure]
    return {model.__name__: model.objects.count() for model in models}


def test_import_loads_the_18_projects_with_sources_companies_and_figures():
    stdout, stderr = import_catalogue()

    assert database_counts() == {
        "Project": 18,
        "Source": 52,  # 18 main sources + 34 "also:" URLs
        "Company": 47,
        "ProjectParty": 49,
        "Financing": 6,
        "ProgrammeFigure": 12,
    }
    assert stderr == ""
    assert stdout.splitlines()[-1].startswith("Imported: project: 18 created, 0 updated, 0 unchanged;")
    assert stdout.splitlines()[-1].endswith("Rows refused: 0.")


def test_running_the_import_again_changes_nothing_and_duplicates_nothing():
    import_catalogue()
    first = database_counts()

    stdout, _ = import_catalogue()

    assert database_counts() == first
    assert "project: 0 created, 0 updated, 18 unchanged" in stdout
    assert "source: 0 created, 0 updated, 52 unchanged" in stdout


def test_a_changed_row_updates_the_project_in_place(tmp_path):
    data = copy_data(tmp_path)
    import_catalogue(str(data))

    def raise_shelek_cost(row):
        if row["name_en"].startswith("Shelek"):
            row["value_usd_million"] = "110"
        return row

    edit_rows(data / "kz_cn_projects.csv", raise_shelek_cost)
    stdout, _ = import_catalogue(str(data))

    assert "project: 0 created, 1 updated, 17 unchanged" in stdout
    assert Project.objects.get(slug=SHELEK).cost_usd_million == Decimal("110")
    assert Project.objects.count() == 18


def test_a_bad_row_is_reported_with_its_line_and_the_good_rows_still_import(tmp_path, capsys):
    data = copy_data(tmp_path)

    def spoil(row):
        if row["name_en"].startswith("Sin Yuan"):  # line 4: header, then two rows before it
            row["sector"] = "space mining"
        if row["name_en"].startswith("Shelek"):  # line 9
            row["value_usd_million"] = "about 60"
        return row

    edit_rows(data / "kz_cn_projects.csv", spoil)

    with pytest.raises(CommandError, match="could not be imported"):
        call_command("import_projects", str(data))

    stderr = capsys.readouterr().err
    assert "kz_cn_projects.csv line 4: unknown sector 'space mining'" in stderr
    assert "kz_cn_projects.csv line 9: value_usd_million is not a number: 'about 60'" in stderr
    assert Project.objects.count() == 16
    assert not Project.objects.filter(slug__in=[SIN_YUAN, SHELEK]).exists()
    assert Project.objects.filter(slug=REFINERY).exists()


def test_the_parties_of_a_refused_project_are_refused_too(tmp_path, capsys):
    data = copy_data(tmp_path)
    edit_rows(
        data / "kz_cn_projects.csv",
        lambda row: {**row, "region": "Atlantis"} if row["name_en"].startswith("Sin Yuan") else row,
    )
    with pytest.raises(CommandError):
        call_command("import_projects", str(data))

    stderr = capsys.readouterr().err
    assert "kz_cn_projects.csv line 4: unknown region 'Atlantis'" in stderr
    assert "project_parties.csv line 13: no imported project named 'Sin Yuan Steel LLP" in stderr


def test_dry_run_shows_what_would_happen_and_writes_nothing():
    stdout, _ = import_catalogue(dry_run=True)

    assert f"would create: project {REFINERY}" in stdout
    assert stdout.splitlines()[-1].startswith("Dry run, nothing written. Would import: project: 18 created")
    assert set(database_counts().values()) == {0}


def test_dry_run_after_an_import_reports_everything_unchanged():
    import_catalogue()

    stdout, _ = import_catalogue(dry_run=True)

    assert f"would leave unchanged: project {REFINERY}" in stdout
    assert "project: 0 created, 0 updated, 18 unchanged" in stdout


def test_main_source_and_also_sources_are_attached_and_the_notes_lose_their_urls():
    import_catalogue()
    refinery = Project.objects.get(slug=REFINERY)

    main, *also = refinery.sources.all()
    assert main.is_primary
    assert main.url == "https://ec-info.org/en/project/shymkent-oil-refinery/"
    assert main.title == "Shymkent Oil Refinery (project card, status as of July 2022)"
    assert main.publisher == "ec-info.org"
    assert main.supports == "status, cost, partners, capacity, start year"
    assert [source.publisher for source in also] == [
        "business-humanrights.org",
        "crudeaccountability.org",
        "chemicalsdaily.com",
    ]
    assert {source.supports for source in also} == {"environmental notes"}
    assert "also:" not in refinery.environmental_notes
    assert "http" not in refinery.environmental_notes
    assert refinery.environmental_notes.endswith("SO2 emissions cut by 15,100 t/yr.")


def test_nothing_is_invented_empty_cells_stay_empty():
    import_catalogue()

    shelek = Project.objects.get(slug=SHELEK)
    assert shelek.cost_usd_million is None
    assert shelek.kazakh_partners_as_stated == ""
    # Orda Glass's cost is stated only in tenge: it is not converted.
    assert Project.objects.get(slug=ORDA_GLASS).cost_usd_million is None
    assert Financing.objects.get(lender="Development Bank of Kazakhstan").amount_usd_million is None
    # The data has no coordinates, no Kazakh or Chinese names and no overview.
    assert not Project.objects.filter(latitude__isnull=False).exists()
    assert not Project.objects.exclude(name_kk="").exists()
    assert not Project.objects.exclude(overview="").exists()
    assert Project.objects.get(slug="karaganda-complex-alloy-plant-ferrosilicoaluminium").start_year is None


def test_status_date_comes_from_the_source_title_only():
    import_catalogue()

    assert Project.objects.get(slug=REFINERY).status_as_of == datetime.date(2022, 7, 1)
    assert Project.objects.get(slug__startswith="integrated-gas").status_as_of == datetime.date(2022, 11, 1)
    # "New Chinese-Kazakh cement plant starts operation in Kazakhstan": no date in the title.
    assert Project.objects.get(slug__startswith="gezhouba").status_as_of is None


def test_sectors_regions_and_ties_are_mapped_to_the_site_choices():
    import_catalogue()

    refinery = Project.objects.get(slug=REFINERY)
    assert (refinery.sector, refinery.region, refinery.settlement) == ("oil_gas", "shymkent", "Shymkent")
    assert Project.objects.get(slug__startswith="integrated-gas").region == "atyrau"
    assert Project.objects.get(slug__startswith="metallurgical-plant-at-the-abailov").region == "south_kazakhstan"
    assert Project.objects.get(slug__startswith="light-rail").region == "astana"
    assert Project.objects.count_by("programme_tie") == {"official": 6, "earlier_list": 6, "reported": 6}
    assert Project.objects.get(slug=SIN_YUAN).programme_tie == "official"
    assert "Dropped from the list in 2021" in Project.objects.get(slug=SIN_YUAN).programme_tie_basis


def test_partner_texts_are_kept_and_split_into_companies_and_financing():
    import_catalogue()
    refinery = Project.objects.get(slug=REFINERY)

    assert refinery.chinese_partners_as_stated.startswith("CNPC; main contractor China Petroleum")
    contractor = refinery.parties.get(role="contractor")
    assert contractor.company.name == "China Petroleum Engineering & Construction Corporation (CPECC)"
    assert contractor.company.country == "CN"
    assert contractor.source == refinery.sources.get(is_primary=True)
    loans = {(f.lender, f.amount_usd_million, f.stage) for f in refinery.financings.all()}
    assert loans == {
        ("China Eximbank", Decimal("963.75"), "stage 1"),
        ("China Development Bank", Decimal("607"), "stage 2"),
    }
    # A role the text does not state is recorded as "partner", never guessed.
    assert refinery.parties.get(company__name="CNPC").role == "partner"


def test_programme_figures_are_imported_with_their_source():
    import_catalogue()

    launched = ProgrammeFigure.objects.get(key="launched_value")
    assert launched.value == Decimal("4.453")
    assert (launched.as_of_year, launched.as_of_month) == (2022, 7)
    assert launched.source_url == "https://ec-info.org/en/kazakhstan-and-china/"
    assert ProgrammeFigure.objects.get(key="programme_projects").value == 52
    assert ProgrammeFigure.objects.get(key="programme_value").value == Decimal("21.1")


def test_missing_data_folder_stops_with_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="kz_cn_projects.csv not found"):
        import_catalogue(str(tmp_path))


# The reading rules on their own -------------------------------------------------------------


def test_also_fragments_are_split_from_notes():
    notes, urls = catalogue_csv.split_notes("Dust reported. also: https://a.example/1 ; also: https://b.example/2")
    assert notes == "Dust reported."
    assert urls == ["https://a.example/1", "https://b.example/2"]


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Shymkent", "shymkent"),
        ("Almaty", "almaty_city"),
        ("Almaty region", "almaty"),
        ("North Kazakhstan region", "north_kazakhstan"),
        ("South Kazakhstan region", "south_kazakhstan"),
        ("", ""),
    ],
)
def test_region_texts(text, region):
    assert catalogue_csv.parse_region(text) == region


def test_an_unknown_region_is_refused_not_guessed():
    with pytest.raises(catalogue_csv.RowError, match="unknown region 'Shymkent region'"):
        catalogue_csv.parse_region("Shymkent region")
