"""Import the project catalogue from the CSV files in projects/data/ (or another folder).

Re-running updates what changed and never duplicates: a project is keyed by a slug of its
English name, a source by its URL within the project, a party by company and role, a
financing by lender and stage, a figure by its key. Rows that cannot be imported are
reported with their file and line and left out; the good rows still import. Nothing is
deleted: a row removed from a file stays in the database until an editor removes it.
"""

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, models, transaction
from django.utils import translation

from projects import catalogue_csv as rows
from projects.catalogue_csv import RowError
from projects.models import (
    FIGURE_LABELS,
    SUPPORTS_ENVIRONMENTAL_NOTES,
    SUPPORTS_MAIN_FACTS,
    Company,
    FigureUnit,
    Financing,
    PartyRole,
    ProgrammeFigure,
    ProgrammeTie,
    Project,
    ProjectParty,
    Source,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PROJECTS_FILE = "kz_cn_projects.csv"
TIES_FILE = "programme_ties.csv"
PARTIES_FILE = "project_parties.csv"
FIGURES_FILE = "programme_figures.csv"

PROJECT_COLUMNS = {
    "name_en", "name_ru", "sector", "region", "city", "status", "value_usd_million",
    "chinese_partner", "kazakh_partner", "start_year", "capacity", "environmental_notes",
    "source_url", "source_title",
}  # fmt: skip
TIE_COLUMNS = {"name_en", "tie", "basis"}
PARTY_COLUMNS = {"project_name_en", "kind", "name", "country", "role", "note", "amount_usd_million", "stage"}
FIGURE_COLUMNS = {"key", "value", "unit", "as_of_year", "as_of_month", "source_title", "source_url"}
COUNTRIES = {"CN", "KZ", ""}
NOUNS = {
    Project: "project",
    Source: "source",
    Company: "company",
    ProjectParty: "party",
    Financing: "financing",
    ProgrammeFigure: "figure",
}


class Command(BaseCommand):
    help = "Import the project catalogue (projects, sources, companies, financing, programme figures)."

    def add_arguments(self, parser):
        parser.add_argument(
            "data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR, help="Folder with the CSV files."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")

    def handle(self, *args, data_dir: Path, dry_run: bool, **options):
        self.verbosity = options["verbosity"]
        self.dry_run = dry_run
        self.counts: Counter[tuple[str, str]] = Counter()
        self.errors: list[str] = []
        for name in [PROJECTS_FILE, TIES_FILE, PARTIES_FILE, FIGURES_FILE]:
            if not (data_dir / name).is_file():
                raise CommandError(f"{data_dir / name} not found")
        self.ties: dict[str, tuple[int, str, str]] = {}
        self.project_lines: dict[str, int] = {}
        self.slugs: dict[str, int] = {}
        self.imported: dict[str, Project] = {}
        with translation.override("en"), transaction.atomic():
            self.import_file(data_dir / TIES_FILE, TIE_COLUMNS, self.read_tie)
            self.import_file(data_dir / PROJECTS_FILE, PROJECT_COLUMNS, self.import_project_row)
            self.report_unused_ties(data_dir / TIES_FILE)
            self.import_file(data_dir / PARTIES_FILE, PARTY_COLUMNS, self.import_party_row)
            self.import_file(data_dir / FIGURES_FILE, FIGURE_COLUMNS, self.import_figure_row)
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(self.summary())
        if self.errors:
            raise CommandError(f"{len(self.errors)} row(s) could not be imported; see the messages above.")

    # Files and rows -------------------------------------------------------------------------

    def import_file(self, path: Path, columns: set[str], import_row: Callable[[int, dict], None]) -> None:
        """Call ``import_row(line, cells)`` for each row; report a refused row and go on.

        Each row runs in its own savepoint, so a refused row leaves nothing half-written.
        """
        line = 1
        try:
            for line, row in rows.read_rows(path, columns):
                try:
                    with transaction.atomic():
                        import_row(line, rows.clean_cells(row))
                except (RowError, ValidationError, DatabaseError) as error:
                    self.error(path, line, error)
        except (RowError, csv.Error, UnicodeDecodeError) as error:
            self.error(path, line, RowError(f"the file cannot be read further: {error}"))

    def error(self, path: Path, line: int, error: Exception) -> None:
        reason = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        message = f"{path.name} line {line}: {reason}"
        self.errors.append(message)
        self.stderr.write(message)

    def read_tie(self, line: int, cells: dict[str, str]) -> None:
        """Remember name_en → (line, tie, basis); read before the projects, which need them."""
        if cells["tie"] not in ProgrammeTie.values:
            raise RowError(f"unknown tie {cells['tie']!r} (use one of {', '.join(ProgrammeTie.values)})")
        if cells["name_en"] in self.ties:
            raise RowError(f"{cells['name_en']!r} is already on line {self.ties[cells['name_en']][0]}")
        self.ties[cells["name_en"]] = (line, cells["tie"], cells["basis"])

    def report_unused_ties(self, path: Path) -> None:
        for name_en, (line, _tie, _basis) in self.ties.items():
            if name_en not in self.project_lines:
                self.error(path, line, RowError(f"no project named {name_en!r} in {PROJECTS_FILE}"))

    def import_project_row(self, line: int, cells: dict[str, str]) -> None:
        """One project with its sources; remembered by name_en for the parties file."""
        name_en = cells["name_en"]
        if not name_en:
            raise RowError("name_en is empty")
        self.project_lines.setdefault(name_en, line)
        slug = rows.project_slug(name_en)
        if slug in self.slugs:
            raise RowError(f"same name (address {slug!r}) as line {self.slugs[slug]}")
        self.slugs[slug] = line
        if name_en not in self.ties:
            raise RowError(f"no tie to the programme for this name in {TIES_FILE}")
        project = self.import_project(cells, slug, self.ties[name_en])
        self.import_sources(project, cells)
        self.imported[name_en] = project

    def import_project(self, cells: dict[str, str], slug: str, tie: tuple[int, str, str]) -> Project:
        notes, _urls = rows.split_notes(cells["environmental_notes"])
        values = {
            "name_en": cells["name_en"],
            "name_ru": cells["name_ru"],
            "sector": rows.parse_sector(cells["sector"]),
            "status": rows.parse_status(cells["status"]),
            "status_as_of": rows.status_as_of(cells["source_title"]),
            "cost_usd_million": rows.parse_decimal(cells["value_usd_million"], "value_usd_million"),
            "region": rows.parse_region(cells["region"]),
            "settlement": cells["city"],
            "capacity": cells["capacity"],
            "start_year": rows.parse_integer(cells["start_year"], "start_year"),
            "environmental_notes": notes,
            "chinese_partners_as_stated": cells["chinese_partner"],
            "kazakh_partners_as_stated": cells["kazakh_partner"],
            "programme_tie": tie[1],
            "programme_tie_basis": tie[2],
        }
        project, outcome = self.upsert(Project, {"slug": slug}, values)
        if self.verbosity >= 1:
            verb = {"created": "create", "updated": "update", "unchanged": "leave unchanged"}[outcome]
            prefix = f"would {verb}" if self.dry_run else outcome
            self.stdout.write(f"{prefix}: project {slug}")
        return project

    def import_sources(self, project: Project, cells: dict[str, str]) -> None:
        """The main source (status, cost, partners...) and one source per 'also:' URL."""
        url = cells["source_url"]
        if not url:
            raise RowError("source_url is empty: every project needs its source")
        self.upsert(
            Source,
            {"project": project, "url": url},
            {
                "title": cells["source_title"],
                "publisher": rows.host_name(url),
                "supports": SUPPORTS_MAIN_FACTS,
                "is_primary": True,
            },
        )
        _notes, also_urls = rows.split_notes(cells["environmental_notes"])
        for also_url in also_urls:
            if also_url == url:
                continue
            # No title: the dataset gives none, and an editor may add one in the admin.
            self.upsert(
                Source,
                {"project": project, "url": also_url},
                {
                    "publisher": rows.host_name(also_url),
                    "supports": SUPPORTS_ENVIRONMENTAL_NOTES,
                    "is_primary": False,
                },
            )

    def import_party_row(self, line: int, cells: dict[str, str]) -> None:
        project = self.imported.get(cells["project_name_en"])
        if project is None:
            raise RowError(f"no imported project named {cells['project_name_en']!r}")
        if not cells["name"]:
            raise RowError("name is empty")
        if cells["country"] not in COUNTRIES:
            raise RowError(f"country must be CN, KZ or empty, not {cells['country']!r}")
        main_source = project.sources.filter(is_primary=True).first()
        if cells["kind"] == "company":
            self.import_party(project, cells, main_source)
        elif cells["kind"] == "financing":
            self.import_financing(project, cells, main_source)
        else:
            raise RowError(f"kind must be 'company' or 'financing', not {cells['kind']!r}")

    def import_party(self, project: Project, cells: dict[str, str], source: Source | None) -> None:
        if cells["role"] not in PartyRole.values:
            raise RowError(f"unknown role {cells['role']!r} (use 'partner' when the text states none)")
        if cells["amount_usd_million"] or cells["stage"]:
            raise RowError("amount and stage are for financing rows only")
        company = self.company(cells["name"], cells["country"])
        self.upsert(
            ProjectParty,
            {"project": project, "company": company, "role": cells["role"]},
            {"note": cells["note"], "source_id": source.pk if source else None},
        )

    def company(self, name: str, country: str) -> Company:
        """The company by name; a country once known is kept, a different one is refused."""
        existing = Company.objects.filter(name=name).first()
        if existing and existing.country and country and existing.country != country:
            raise RowError(f"{name!r} is already recorded with country {existing.country}")
        country = country or (existing.country if existing else "")
        return self.upsert(Company, {"name": name}, {"country": country})[0]

    def import_financing(self, project: Project, cells: dict[str, str], source: Source | None) -> None:
        if cells["role"]:
            raise RowError("role is for company rows only")
        self.upsert(
            Financing,
            {"project": project, "lender": cells["name"], "stage": cells["stage"]},
            {
                "country": cells["country"],
                "amount_usd_million": rows.parse_decimal(cells["amount_usd_million"], "amount_usd_million"),
                "note": cells["note"],
                "source_id": source.pk if source else None,
            },
        )

    def import_figure_row(self, line: int, cells: dict[str, str]) -> None:
        key = cells["key"]
        if key not in FIGURE_LABELS:
            raise RowError(f"no label in the code for figure {key!r} (add it to FIGURE_LABELS)")
        if cells["unit"] not in FigureUnit.values:
            raise RowError(f"unknown unit {cells['unit']!r}")
        value = rows.parse_decimal(cells["value"], "value")
        if value is None:
            raise RowError("value is empty")
        self.upsert(
            ProgrammeFigure,
            {"key": key},
            {
                "label": str(FIGURE_LABELS[key]),  # English; pages show the translated label
                "value": value,
                "unit": cells["unit"],
                "as_of_year": rows.parse_integer(cells["as_of_year"], "as_of_year"),
                "as_of_month": rows.parse_integer(cells["as_of_month"], "as_of_month"),
                "source_title": cells["source_title"],
                "source_url": cells["source_url"],
                "position": line,  # the file's order
            },
        )

    # Saving ---------------------------------------------------------------------------------

    def upsert(self, model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, str]:
        """Create or update the row found by ``lookup``; validate before saving; count the outcome."""
        instance = model.objects.filter(**lookup).first()
        if instance is None:
            instance, outcome = model(**lookup, **values), "created"
        else:
            changed = {field: value for field, value in values.items() if getattr(instance, field) != value}
            for field, value in changed.items():
                setattr(instance, field, value)
            outcome = "updated" if changed else "unchanged"
        if outcome != "unchanged":
            instance.full_clean()
            instance.save()
        noun = NOUNS[model]
        self.counts[noun, outcome] += 1
        if self.verbosity >= 2 and noun != "project":
            self.stdout.write(f"  {outcome}: {noun} {instance}")
        return instance, outcome

    def summary(self) -> str:
        parts = []
        for noun in NOUNS.values():
            created, updated, unchanged = (
                self.counts[noun, outcome] for outcome in ["created", "updated", "unchanged"]
            )
            parts.append(f"{noun}: {created} created, {updated} updated, {unchanged} unchanged")
        prefix = "Dry run, nothing written. Would import" if self.dry_run else "Imported"
        return f"{prefix}: {'; '.join(parts)}. Rows refused: {len(self.errors)}."
