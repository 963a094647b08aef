"""axe-core (vendored in assets/, from the npm registry) finds no serious or critical accessibility
problem on the public pages, in English, Russian and Kazakh."""

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse, translate_url

from projects.models import Project

from .site_pages import describe_violations, publish_with_one_photo_hidden, run_axe, submitted_report

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "ru", "kk"]


def _stats_url() -> list[str]:
    """The statistics page is another developer's work: checked once it exists."""
    try:
        resolve("/en/stats/")
    except Resolver404:
        return []
    return ["/stats/"]


def _report_form_with_errors(page, site):
    page.goto(site + "/report/")
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.locator("#error-summary").wait_for()


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_serious_accessibility_violations(page, site, moderator, language):
    call_command("import_projects", verbosity=0)
    project = Project.objects.order_by("name_en").first()
    report, _token = submitted_report(project, title="Black dust on the houses")
    publish_with_one_photo_hidden(report, moderator)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site}])

    urls = [
        "/",
        "/projects/",
        translate_url(project.get_absolute_url(), language),
        "/reports/",
        translate_url(report.get_absolute_url(), language),
        "/map/",
        *_stats_url(),
        translate_url(reverse("impacts:evidence_record", args=[report.evidence.public().first().pk]), language),
    ]
    problems = {}
    for url in urls:
        page.goto(site + url)
        if violations := run_axe(page):
            problems[url] = violations
    _report_form_with_errors(page, site)
    if violations := run_axe(page):
        problems["/report/ (with errors)"] = violations

    report_text = "\n\n".join(describe_violations(url, found) for url, found in problems.items())
    print(report_text)
    assert not problems, report_text
