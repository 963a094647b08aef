"""An editor loads the catalogue from the CSV files with `manage.py import_projects` (dataset version 2)."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects import catalogue_csv
from projects.models import Company, Financing, ProgrammeFigure, Project, ProjectParty, Source
from tests.catalogue import DATA_DIR, copy_data, edit_rows, import_catalogue

pytestmark = pytest.mark.django_db

REFINERY = "reconstruction-and-modernization-of-shymkent-oil-refinery-2-phases"
SHELEK = "shelek-wind-farm-60-mw"
ORDA_GLASS = "orda-glass-float-sheet-glass-plant"
SIN_YUAN = "sin-yuan-steel-llp-steel-and-steel-rolling-plant"


def database_counts() -> dict[str, int]:
    models = [Project, Source, Company, ProjectParty, Financing, ProgrammeFigure]
    return {model.__name__: model.objects.count() for model in models}


def test_import_loads_the_29_projects_with_sources_companies_and_figures():
    stdout, stderr = import_catalogue()

    assert database_counts() == {
        "Project": 29,
        "Source": 102,  # one per address: main sources, "also:" URLs, tie and coordinate sources
        "Company": 49,
        "ProjectParty": 51,
        "Financing": 6,
        "ProgrammeFigure": 12,
    }
    assert stderr == ""
    assert stdout.splitlines()[-1].startswith("Imported: project: 29 created, 0 updated, 0 unchanged;")
    assert stdout.splitlines()[-1].endswith(
        "Conflicts with editors' changes: 0 new, 0 already listed. Rows refused: 0."
    )


def test_the_dataset_is_version_2_copied_unchanged_and_the_ties_file_it_replaces_is_retired():
    shared = DATA_DIR.parents[2] / "shared" / "data"
    if shared.is_dir():  # the research notes sit beside the checkout on the team's machines
        assert (DATA_DIR / "kz_cn_projects.csv").read_bytes() == (shared / "kz_cn_projects.csv").read_bytes()
        assert (DATA_DIR / "README.md").read_bytes() == (shared / "README.md").read_bytes()
    header = (DATA_DIR / "kz_cn_projects.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("programme_tie,tie_evidence_url,tie_evidence_quote,as_of_date")
    assert not (DATA_DIR / "programme_ties.csv").exists()


def test_running_the_import_again_changes_nothing_and_duplicates_nothing():
    import_catalogue()
    first = database_counts()

    stdout, _ = import_catalogue()

    assert database_counts() == first
    assert "project: 0 created, 0 updated, 29 unchanged" in stdout
    assert "source: 0 created, 0 updated, 102 unchanged" in stdout
    assert "party: 0 created, 0 updated, 51 unchanged" in stdout
    assert "figure: 0 created, 0 updated, 12 unchanged" in stdout


def test_a_changed_row_updates_the_project_in_place(tmp_path):
    data = copy_data(tmp_path)
    import_catalogue(str(data))

    def raise_shelek_cost(row):
        if row["name_en"].startswith("Shelek"):
            row["value_usd_million"] = "110"
        return row

    edit_rows(data / "kz_cn_projects.csv", raise_shelek_cost)
    stdout, _ = import_catalogue(str(data))

    assert "project: 0 created, 1 updated, 28 unchanged" in stdout
    assert Project.objects.get(slug=SHELEK).cost_usd_million == Decimal("110")
    assert Project.objects.count() == 29


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
    assert Project.objects.count() == 27
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


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("programme_tie", "rumoured", "unknown programme_tie 'rumoured'"),
        ("as_of_date", "July 2022", "as_of_date must be YYYY, YYYY-MM or YYYY-MM-DD, not 'July 2022'"),
        ("as_of_date", "2022-13", "as_of_date is not a real date: '2022-13'"),
        ("latitude", "", "latitude, longitude and coord_source_url go together: all three or none"),
        ("coord_source_url", "", "latitude, longitude and coord_source_url go together: all three or none"),
        ("latitude", "north", "coordinates are not numbers: 'north', '42.271694'"),
        ("latitude", "60.5", "Ensure this value is less than or equal to 55.5."),
        ("tie_evidence_url", "", "tie_evidence_url is empty: every tie needs its source"),
    ],
)
def test_a_version_2_cell_that_does_not_fit_refuses_its_row_and_says_why(tmp_path, capsys, column, value, reason):
    data = copy_data(tmp_path)

    def spoil(row):
        if row["name_en"].startswith("Sin Yuan"):
            row[column] = value
            if column == "latitude" and value == "north":
                row["longitude"] = "42.271694"
        return row

    edit_rows(data / "kz_cn_projects.csv", spoil)
    with pytest.raises(CommandError):
        call_command("import_projects", str(data))

    assert f"kz_cn_projects.csv line 4: {reason}" in capsys.readouterr().err
    assert not Project.objects.filter(slug=SIN_YUAN).exists()
    assert Project.objects.count() == 28


def test_dry_run_shows_what_would_happen_and_writes_nothing():
    stdout, _ = import_catalogue(dry_run=True)

    assert f"would create: project {REFINERY}" in stdout
    assert stdout.splitlines()[-1].startswith("Dry run, nothing written. Would import: project: 29 created")
    assert set(database_counts().values()) == {0}


def test_dry_run_after_an_import_reports_everything_unchanged():
    import_catalogue()

    stdout, _ = import_catalogue(dry_run=True)

    assert f"would leave unchanged: project {REFINERY}" in stdout
    assert "project: 0 created, 0 updated, 29 unchanged" in stdout


def test_main_source_and_also_sources_are_attached_and_the_notes_lose_their_urls():
    import_catalogue()
    refinery = Project.objects.get(slug=REFINERY)

    main, *also = refinery.sources.all()
    assert main.is_primary
    assert main.url == "https://ec-info.org/en/project/shymkent-oil-refinery/"
    assert main.title == "Shymkent Oil Refinery (project card, status as of July 2022)"
    assert main.publisher == "ec-info.org"
    # The project card also states the tie and the coordinates: one source, three facts.
    assert main.supports == "status, cost, partners, capacity, start year; tie to the programme; coordinates"
    assert (
        main.get_supports_display() == "status, cost, partners, capacity, start year, tie to the programme, coordinates"
    )
    assert [source.publisher for source in also] == [
        "business-humanrights.org",
        "crudeaccountability.org",
        "chemicalsdaily.com",
        "china.aiddata.org",
        "china.aiddata.org",
    ]
    assert {source.supports for source in also} == {"environmental notes"}
    assert "also:" not in refinery.environmental_notes
    assert "http" not in refinery.environmental_notes
    assert refinery.environmental_notes.endswith("and Sberbank of Russia lent USD 400 mln.")


def test_nothing_is_invented_empty_cells_stay_empty():
    import_catalogue()

    shelek = Project.objects.get(slug=SHELEK)
    assert shelek.cost_usd_million is None
    # Version 2 states Orda Glass's cost in USD (Baiterek); the loan in tenge is still not converted.
    assert Project.objects.get(slug=ORDA_GLASS).cost_usd_million == Decimal("90.4")
    assert Financing.objects.get(lender="Development Bank of Kazakhstan").amount_usd_million is None
    # Only 4 rows have coordinates from a source; none has a Kazakh or Chinese name or an overview.
    assert Project.objects.filter(latitude__isnull=False).count() == 4
    assert not Project.objects.filter(latitude__isnull=True, longitude__isnull=False).exists()
    assert not Project.objects.exclude(name_kk="").exists()
    assert not Project.objects.exclude(name_zh="").exists()
    assert not Project.objects.exclude(overview="").exists()
    assert not Project.objects.exclude(name_ru_origin="").exists()  # nobody recorded where the names come from
    assert Project.objects.get(slug="karaganda-complex-alloy-plant-ferrosilicoaluminium").start_year is None
    # A quote that was not captured stays empty: 17 rows have one, 12 do not.
    assert Project.objects.exclude(programme_tie_quote="").count() == 17
    assert Project.objects.get(slug=REFINERY).programme_tie_quote == ""


def test_the_four_coordinates_are_imported_exactly_as_the_source_states_them_with_their_source():
    import_catalogue()

    coordinates = {
        project.slug: (project.latitude, project.longitude, project.coordinates_source_url)
        for project in Project.objects.filter(latitude__isnull=False)
    }
    assert coordinates == {
        REFINERY: (Decimal("42.26"), Decimal("69.65"), "https://ec-info.org/en/project/shymkent-oil-refinery/"),
        SIN_YUAN: (
            Decimal("42.271694"),
            Decimal("69.724917"),
            "https://ec-info.org/en/project/sin-yuan-steel-llp/",
        ),
        "light-rail-construction-astana-lrt-phase-1": (
            Decimal("51.029722"),
            Decimal("71.456056"),
            "https://ec-info.org/en/project/astana-lrt-2/",
        ),
        SHELEK: (Decimal("43.711694"), Decimal("78.743944"), "https://china.aiddata.org/projects/39539"),
    }
    # The page that states Shelek's coordinates is one of its sources, saying what it supports.
    assert Project.objects.get(slug=SHELEK).sources.get(url="https://china.aiddata.org/projects/39539").supports == (
        "environmental notes; coordinates"
    )


def test_ties_come_from_the_programme_tie_column_with_their_source_and_quote():
    import_catalogue()

    assert Project.objects.count_by("programme_tie") == {"official": 14, "earlier_list": 7, "reported": 8}
    zhanatas = Project.objects.get(slug="zhanatas-100-mw-wind-power-plant")
    assert zhanatas.programme_tie == "official"  # re-graded on quoted evidence in version 2
    assert zhanatas.programme_tie_url == "http://m.demannewmaterials.com/news/show.php?itemid=55537"
    assert zhanatas.programme_tie_quote.startswith("扎納塔斯風電項目是中哈產能合作清單重點項目之一")
    assert "tie to the programme" in zhanatas.sources.get(url=zhanatas.programme_tie_url).supports
    assert Project.objects.get(slug=ORDA_GLASS).programme_tie == "official"
    assert Project.objects.get(slug__startswith="turgusun").programme_tie == "earlier_list"
    # The retired ties file's basis texts are gone: the quote and its source replace them.
    assert not Project.objects.exclude(programme_tie_basis="").exists()


def test_status_date_comes_from_the_as_of_date_column_as_precisely_as_it_is_given():
    import_catalogue()

    def as_of(slug_start):
        project = Project.objects.get(slug__startswith=slug_start)
        return project.status_as_of, project.status_as_of_precision, project.status_as_of_text

    assert as_of(REFINERY) == (datetime.date(2022, 7, 1), "month", "July 2022")
    assert as_of("integrated-gas") == (datetime.date(2025, 1, 1), "year", "2025")
    assert as_of("zhanatas") == (datetime.date(2021, 6, 23), "day", "June 23, 2021")
    # An undated source leaves the date empty, not guessed from its title.
    assert as_of("karaganda") == (None, "", "")


def test_sectors_regions_and_ties_are_mapped_to_the_site_choices():
    import_catalogue()

    refinery = Project.objects.get(slug=REFINERY)
    assert (refinery.sector, refinery.region, refinery.settlement) == ("oil_gas", "shymkent", "Shymkent")
    assert Project.objects.get(slug__startswith="integrated-gas").region == "atyrau"
    assert Project.objects.get(slug__startswith="metallurgical-plant-at-the-abailov").region == "south_kazakhstan"
    assert Project.objects.get(slug__startswith="light-rail").region == "astana"
    assert Project.objects.get(slug=SIN_YUAN).programme_tie == "official"
    assert (
        "disappeared from the list of 52 projects on 29.09.2021"
        in Project.objects.get(slug=SIN_YUAN).environmental_notes
    )
    assert Project.objects.get(slug__startswith="zhangiz").region == ""  # no region in the data


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
    # Version 2 states Shelek's Kazakh side; it is split like the others (SUPPLEMENTARY.md).
    shelek = Project.objects.get(slug=SHELEK)
    assert {
        (p.company.name, p.company.country, p.role, p.note) for p in shelek.parties.filter(company__country="KZ")
    } == {
        ("Samruk-Energy JSC", "KZ", "investor", "co-investor"),
        ("Energiya-Semirechya LLP", "KZ", "partner", "project company"),
    }


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
