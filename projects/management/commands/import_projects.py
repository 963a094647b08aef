"""Import the project catalogue from the CSV files in projects/data/ (or another folder).

Re-running updates what changed and never duplicates: a project is keyed by a slug of its
English name, a source by its URL within the project, a party by company and role, a
financing by lender and stage, a figure by its key. Rows that cannot be imported are
reported with their file and line and left out; the good rows still import. Nothing is
deleted: a row removed from a file stays in the database until an editor removes it.

Editors' work is never undone: a field an editor changed keeps the editor's value, and where
the file says otherwise the import records a conflict to settle in the admin
(projects.provenance). ``--if-empty`` imports only into an empty catalogue (``make run``).
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
from projects import provenance
from projects.catalogue_csv import RowError
from projects.models import (
    FIGURE_LABELS,
    SUPPORTS_COORDINATES,
    SUPPORTS_ENVIRONMENTAL_NOTES,
    SUPPORTS_MAIN_FACTS,
    SUPPORTS_SEPARATOR,
    SUPPORTS_TIE,
    Company,
    EventKind,
    FigureUnit,
    Financing,
    ImportedFacts,
    PartyRole,
    ProgrammeFigure,
    Project,
    ProjectEvent,
    ProjectParty,
    Source,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PROJECTS_FILE = "kz_cn_projects.csv"
PARTIES_FILE = "project_parties.csv"
FIGURES_FILE = "programme_figures.csv"
EVENTS_FILE = "project_events.csv"

PROJECT_COLUMNS = {
    "name_en", "name_ru", "sector", "region", "city", "status", "value_usd_million",
    "chinese_partner", "kazakh_partner", "start_year", "capacity", "environmental_notes",
    "source_url", "source_title",
    # version 2
    "latitude", "longitude", "coord_source_url", "programme_tie", "tie_evidence_url", "tie_evidence_quote",
    "as_of_date",
}  # fmt: skip
PARTY_COLUMNS = {"project_name_en", "kind", "name", "country", "role", "note", "amount_usd_million", "stage"}
EVENT_COLUMNS = {"project_name_en", "kind", "date", "summary", "source_url", "place"}
FIGURE_COLUMNS = {"key", "value", "unit", "as_of_year", "as_of_month", "source_title", "source_url"}
COUNTRIES = {"CN", "KZ", ""}
NOUNS = {
    Project: "project",
    Source: "source",
    Company: "company",
    ProjectParty: "party",
    Financing: "financing",
    ProgrammeFigure: "figure",
    ProjectEvent: "event",
}


class Command(BaseCommand):
    help = "Import the project catalogue (projects, sources, companies, financing, programme figures)."

    def add_arguments(self, parser):
        parser.add_argument(
            "data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR, help="Folder with the CSV files."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Import only if the catalogue has no project yet (so a restart never touches editors' work).",
        )

    def handle(self, *args, data_dir: Path, dry_run: bool, if_empty: bool, **options):
        self.verbosity = options["verbosity"]
        self.dry_run = dry_run
        self.counts: Counter[tuple[str, str]] = Counter()
        self.errors: list[str] = []
        self.conflicts: list[str] = []
        if if_empty and Project.objects.exists():
            self.stdout.write(
                f"The catalogue already has {Project.objects.count()} projects: nothing imported. "
                "Run import_projects without --if-empty to update it from the files."
            )
            return
        for name in [PROJECTS_FILE, PARTIES_FILE, EVENTS_FILE, FIGURES_FILE]:
            if not (data_dir / name).is_file():
                raise CommandError(f"{data_dir / name} not found")
        self.slugs: dict[str, int] = {}
        self.imported: dict[str, Project] = {}
        self.deleted_names: set[str] = set()  # projects an editor deleted: their rows are skipped
        self.deleted = provenance.deleted_keys()
        with translation.override("en"), transaction.atomic():
            self.import_file(data_dir / PROJECTS_FILE, PROJECT_COLUMNS, self.import_project_row)
            self.import_file(data_dir / PARTIES_FILE, PARTY_COLUMNS, self.import_party_row)
            self.import_file(data_dir / EVENTS_FILE, EVENT_COLUMNS, self.import_event_row)
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

    def import_project_row(self, line: int, cells: dict[str, str]) -> None:
        """One project with its sources; remembered by name_en for the parties file."""
        name_en = cells["name_en"]
        if not name_en:
            raise RowError("name_en is empty")
        slug = rows.project_slug(name_en)
        if slug in self.slugs:
            raise RowError(f"same name (address {slug!r}) as line {self.slugs[slug]}")
        self.slugs[slug] = line
        project = self.import_project(cells, slug)
        if project is None:
            self.deleted_names.add(name_en)
            return
        self.import_sources(project, cells)
        self.imported[name_en] = project

    def import_project(self, cells: dict[str, str], slug: str) -> Project | None:
        notes, _urls = rows.split_notes(cells["environmental_notes"])
        status_as_of, precision = rows.parse_partial_date(cells["as_of_date"], "as_of_date")
        latitude, longitude, coordinates_url = rows.parse_coordinates(cells)
        values = {
            "name_en": cells["name_en"],
            "name_ru": cells["name_ru"],
            "sector": rows.parse_sector(cells["sector"]),
            "status": rows.parse_status(cells["status"]),
            "status_as_of": status_as_of,
            "status_as_of_precision": precision,
            "cost_usd_million": rows.parse_decimal(cells["value_usd_million"], "value_usd_million"),
            "region": rows.parse_region(cells["region"]),
            "settlement": cells["city"],
            "capacity": cells["capacity"],
            "start_year": rows.parse_integer(cells["start_year"], "start_year"),
            "environmental_notes": notes,
            "chinese_partners_as_stated": cells["chinese_partner"],
            "kazakh_partners_as_stated": cells["kazakh_partner"],
            "programme_tie": rows.parse_tie(cells["programme_tie"]),
            # Version 2 replaced the basis text of the retired programme_ties.csv with a quote
            # and its source; an editor may still write one.
            "programme_tie_basis": "",
            "programme_tie_url": cells["tie_evidence_url"],
            "programme_tie_quote": cells["tie_evidence_quote"],
            "latitude": latitude,
            "longitude": longitude,
            "coordinates_source_url": coordinates_url,
        }
        if not values["programme_tie_url"]:
            raise RowError("tie_evidence_url is empty: every tie needs its source")
        project, outcome = self.upsert(Project, {"slug": slug}, values)
        if project is None:
            return None
        if self.verbosity >= 1:
            verb = {"created": "create", "updated": "update", "unchanged": "leave unchanged"}[outcome]
            prefix = f"would {verb}" if self.dry_run else outcome
            self.stdout.write(f"{prefix}: project {slug}")
        return project

    def import_sources(self, project: Project, cells: dict[str, str]) -> None:
        """The main source (status, cost, partners...), one per 'also:' URL, the tie's and the coordinates'.

        One source per address: a page that supports several facts says so in ``supports``.
        """
        url = cells["source_url"]
        if not url:
            raise RowError("source_url is empty: every project needs its source")
        _notes, also_urls = rows.split_notes(cells["environmental_notes"])
        supports: dict[str, list[str]] = {url: [SUPPORTS_MAIN_FACTS]}
        for other_url, fact in [
            *((also_url, SUPPORTS_ENVIRONMENTAL_NOTES) for also_url in also_urls),
            (cells["tie_evidence_url"], SUPPORTS_TIE),
            (cells["coord_source_url"], SUPPORTS_COORDINATES),
        ]:
            if other_url and fact not in supports.setdefault(other_url, []):
                supports[other_url].append(fact)
        for source_url, facts in supports.items():
            values = {
                "publisher": rows.host_name(source_url),
                "supports": SUPPORTS_SEPARATOR.join(facts),
                "is_primary": source_url == url,
            }
            if source_url == url:
                # Only the main source has a title in the dataset; an editor may add the others'.
                values["title"] = cells["source_title"]
            self.upsert(Source, {"project": project, "url": source_url}, values, project=project)

    def import_party_row(self, line: int, cells: dict[str, str]) -> None:
        if cells["project_name_en"] in self.deleted_names:
            return
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
            project=project,
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
            project=project,
        )

    def import_event_row(self, line: int, cells: dict[str, str]) -> None:
        """A dated event, cited to one of the project's sources (an address from its row)."""
        if cells["project_name_en"] in self.deleted_names:
            return
        project = self.imported.get(cells["project_name_en"])
        if project is None:
            raise RowError(f"no imported project named {cells['project_name_en']!r}")
        if cells["kind"] not in EventKind.values:
            raise RowError(f"unknown kind {cells['kind']!r}")
        day, precision = rows.parse_partial_date(cells["date"], "date")
        if day is None:
            raise RowError("date is empty: every event on the timeline is dated")
        if not cells["summary"]:
            raise RowError("summary is empty")
        source = project.sources.filter(url=cells["source_url"]).first()
        source_key = {"project": project, "url": cells["source_url"]}
        if source is None and provenance.was_deleted(self.deleted, Source, source_key):
            return  # an editor deleted the source, and with it what it alone supported
        if source is None:
            raise RowError(f"{cells['source_url']!r} is not a source of this project in {PROJECTS_FILE}")
        self.upsert(
            ProjectEvent,
            {"project": project, "kind": cells["kind"], "date": day, "source": source},
            {"date_precision": precision, "summary": cells["summary"], "place": cells["place"]},
            project=project,
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

    def upsert(
        self, model: type[models.Model], lookup: dict, values: dict, project: Project | None = None
    ) -> tuple[models.Model, str]:
        """Create or update the row found by ``lookup``; validate before saving; count the outcome.

        On records that keep provenance, fields an editor changed keep the editor's value and a
        disagreement is recorded as a conflict (projects.provenance).
        """
        instance = model.objects.filter(**lookup).first()
        remembers = issubclass(model, ImportedFacts)
        disputed = []
        if instance is None and remembers and provenance.was_deleted(self.deleted, model, lookup):
            self.counts["deleted", "kept"] += 1
            if self.verbosity >= 1:
                self.stdout.write(f"kept deleted by an editor: {NOUNS[model]} {lookup}")
            return None, "kept deleted"
        if instance is None:
            instance, outcome = model(**lookup, **values), "created"
            if remembers:
                instance.imported_values = {field: provenance.as_json(value) for field, value in values.items()}
        elif remembers:
            remembered = dict(instance.imported_values)
            changed, disputed = provenance.merge(instance, values)
            outcome = "updated" if changed or instance.imported_values != remembered else "unchanged"
        else:
            changed = {field: value for field, value in values.items() if getattr(instance, field) != value}
            for field, value in changed.items():
                setattr(instance, field, value)
            outcome = "updated" if changed else "unchanged"
        if outcome != "unchanged":
            instance.full_clean()
            instance.save()
        for field, file_value in disputed:
            self.conflict(instance, field, file_value, project if model is not Project else instance)
        noun = NOUNS[model]
        self.counts[noun, outcome] += 1
        if self.verbosity >= 2 and noun != "project":
            self.stdout.write(f"  {outcome}: {noun} {instance}")
        return instance, outcome

    def conflict(self, instance: ImportedFacts, field: str, file_value, project: Project | None) -> None:
        news = provenance.record_conflict(instance, field, file_value, project)
        self.counts["conflict", "new" if news else "known"] += 1
        if news:
            editor_value = provenance.as_json(getattr(instance, field))
            message = (
                f"conflict: {NOUNS[type(instance)]} {instance} field {field}: the file says {file_value!r}, "
                f"an editor says {editor_value!r}; the editor's value is kept (settle it in the admin, "
                "Import conflicts)"
            )
            self.conflicts.append(message)
            self.stdout.write(message)

    def summary(self) -> str:
        parts = []
        for noun in NOUNS.values():
            created, updated, unchanged = (
                self.counts[noun, outcome] for outcome in ["created", "updated", "unchanged"]
            )
            parts.append(f"{noun}: {created} created, {updated} updated, {unchanged} unchanged")
        prefix = "Dry run, nothing written. Would import" if self.dry_run else "Imported"
        conflicts = (
            f"Conflicts with editors' changes: {self.counts['conflict', 'new']} new, "
            f"{self.counts['conflict', 'known']} already listed."
        )
        deleted = self.counts["deleted", "kept"]
        kept = f" Kept deleted by editors: {deleted}." if deleted else ""
        return f"{prefix}: {'; '.join(parts)}. {conflicts}{kept} Rows refused: {len(self.errors)}."
