"""What a person does on the site, as helpers the browser stories share: switch language, fill the
report form, attach files, run axe-core."""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from impacts import workflow
from impacts.forms import ImpactReportForm
from impacts.models import Evidence, ImpactReport
from tests import evidence_files

AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
PHONE_NUMBER = "+7 701 234 5678"


@dataclass
class EvidenceFiles:
    """Files on disk, as a resident would pick them from a phone's gallery."""

    gps_photo: Path
    plain_photo: Path
    pdf: Path
    html_as_jpg: Path


def write_evidence_files(folder: Path) -> EvidenceFiles:
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "gps_photo": ("dust-on-roof.jpg", evidence_files.jpeg_with_gps()),
        "plain_photo": ("black-snow.jpg", evidence_files.jpeg_with_gps(640, 480, lat=43.31, lon=68.26)),
        "pdf": ("water-samples.pdf", evidence_files.pdf_bytes()),
        "html_as_jpg": ("holiday.jpg", evidence_files.html_as_jpg()),
    }
    paths = {}
    for key, (name, content) in contents.items():
        paths[key] = folder / name
        paths[key].write_bytes(content)
    return EvidenceFiles(**paths)


def a_few_days_ago() -> str:
    return (timezone.localdate() - datetime.timedelta(days=3)).isoformat()


def switch_language(page: Page, code: str) -> None:
    """Use the language links in the header, as a visitor would (one tap, the same page)."""
    page.locator(f".language-switcher a[hreflang={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def open_filters(page: Page) -> None:
    """Unfold the filters of a list page (folded behind one button, so results come first on a phone)."""
    filters = page.locator("details.filters")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()


def fill_required_fields(page: Page, *, title: str, description: str) -> None:
    """The fields a resident must fill; the project, if any, is chosen beforehand."""
    page.select_option("#id_primary_category", "air")
    page.select_option("#id_severity", "3")
    page.fill("#id_title", title)
    page.fill("#id_description", description)
    page.fill("#id_observed_on", a_few_days_ago())
    page.select_option("#id_reporter_type", "resident")
    page.check("#id_consent_publication")
    page.check("#id_consent_privacy")


def submit_report_form(page: Page) -> None:
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()


def run_axe(page: Page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now (WCAG 2 A/AA and best practice)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {
               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
               resultTypes: ['violations'],
           })"""
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious/critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def submitted_report(project=None, *, title="Black dust on the houses", description="", photos=2):
    """A report sent through the real form (so its evidence went through the real pipeline).

    Returns (report, tracking token). Photos: the first carries GPS EXIF; a PDF is always attached.
    """
    files = [SimpleUploadedFile("dust-on-roof.jpg", evidence_files.jpeg_with_gps(), "image/jpeg")]
    if photos > 1:
        files.append(SimpleUploadedFile("black-snow.jpg", evidence_files.jpeg_with_gps(640, 480), "image/jpeg"))
    files.append(SimpleUploadedFile("water-samples.pdf", evidence_files.pdf_bytes(), "application/pdf"))
    data = {
        "project": project.pk if project else "",
        "site_name": "" if project else "Unlisted quarry",
        "region": "kyzylorda",
        "primary_category": "air",
        "severity": "3",
        "title": title,
        "description": description or f"Every night dust falls on our village. Call me: {PHONE_NUMBER}.",
        "observed_on": a_few_days_ago(),
        "reporter_type": "resident",
        "attribution": "anonymous",
        "language": "kk",
        "consent_publication": "on",
        "consent_privacy": "on",
    }
    form = ImpactReportForm(data, {"files": files})
    assert form.is_valid(), form.errors
    report = form.save()
    return report, form.tracking_token


def publish_with_one_photo_hidden(report: ImpactReport, moderator) -> None:
    """What the moderator story does in the admin, done directly: approve all but the second photo."""
    for item in Evidence.objects.filter(report=report):
        if item.original_name == "black-snow.jpg":
            item.visibility, item.hidden_reason = "hidden", "Shows a neighbour's face"
        else:
            item.visibility = "approved"
        item.save()
    report.refresh_from_db()
    workflow.apply(report, "start_review", by=moderator)
    report.refresh_from_db()
    workflow.apply(report, "publish", by=moderator)
