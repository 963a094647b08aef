"""Plain helpers for catalogue tests: projects as a test needs them, and the real data files."""

import csv
import shutil
from decimal import Decimal
from io import StringIO
from itertools import count
from pathlib import Path

from django.core.management import call_command
from django.utils.text import slugify

from projects.models import Company, ProgrammeTie, Project, ProjectParty, Region, Sector, Source, Status

DATA_DIR = Path(__file__).resolve().parent.parent / "projects" / "data"
_numbers = count(1)


def make_project(**kw) -> Project:
    """A launched metallurgy project in Shymkent, officially tied to the programme, unless told otherwise."""
    name_en = kw.pop("name_en", None) or f"Test plant {next(_numbers)}"
    fields = {
        "name_en": name_en,
        "slug": slugify(name_en),
        "sector": Sector.METALLURGY,
        "status": Status.LAUNCHED,
        "region": Region.SHYMKENT,
        "programme_tie": ProgrammeTie.OFFICIAL,
        **kw,
    }
    if "cost_usd_million" in fields and fields["cost_usd_million"] is not None:
        fields["cost_usd_million"] = Decimal(str(fields["cost_usd_million"]))
    return Project.objects.create(**fields)


def add_company(project: Project, name: str, role: str = "partner", country: str = "CN", **kw) -> ProjectParty:
    company, _ = Company.objects.get_or_create(name=name, defaults={"country": country})
    return ProjectParty.objects.create(project=project, company=company, role=role, **kw)


def add_source(project: Project, url: str = "https://example.org/news/1", **kw) -> Source:
    fields = {"title": "A news report", "publisher": "example.org", "is_primary": True, **kw}
    return Source.objects.create(project=project, url=url, **fields)


def import_catalogue(*args, **options) -> tuple[str, str]:
    """Run ``import_projects``; returns (stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    call_command("import_projects", *args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def copy_data(folder: Path) -> Path:
    """A copy of the real data files that a test may edit."""
    for name in ["kz_cn_projects.csv", "project_parties.csv", "project_events.csv", "programme_figures.csv"]:
        shutil.copy(DATA_DIR / name, folder / name)
    return folder


def edit_rows(path: Path, edit) -> None:
    """Rewrite a CSV file, passing each data row (a dict) through ``edit``."""
    with path.open(newline="", encoding="utf-8") as csv_file:
        reader = csv.DictReader(csv_file)
        fieldnames, rows = reader.fieldnames, [edit(row) for row in reader]
    with path.open("w", newline="", encoding="utf-8") as csv_file:
        writer = csv.DictWriter(csv_file, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def admin_form_data(response, **changes) -> dict:
    """The POST data of an admin change form as the browser would send it unchanged, plus ``changes``.

    Reads the bound values of the main form and of every inline formset from the response context.
    """
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif isinstance(value, list | tuple):
                value = [str(item) for item in value]
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    data.update({key: str(value) for key, value in changes.items()})
    return data
