"""Plain helpers to make reports in the states a test needs."""

import datetime

from impacts.models import ImpactReport, ReportCategory
from projects.models import Project


def make_site_project(**kw) -> Project:
    fields = {
        "name_en": "Shieli cement plant",
        "slug": "shieli-cement",
        "sector": "construction_materials",
        "status": "launched",
        "region": "kyzylorda",
        "programme_tie": "official",
        **kw,
    }
    return Project.objects.create(**fields)


def make_report(**kw) -> ImpactReport:
    categories = kw.pop("categories", None)
    fields = {
        "site_name": "" if kw.get("project") else "Unlisted quarry",
        "reporter_type": "resident",
        "primary_category": "air",
        "severity": 3,
        "title": "Black dust on the houses",
        "description": "Every night dust falls on our village.",
        "observed_on": datetime.date(2026, 10, 1),
        "language": "ru",
        "consent_publication": True,
        "consent_privacy": True,
        **kw,
    }
    report = ImpactReport(**fields)
    report.issue_tracking_token()
    report.save()
    for category in categories or [report.primary_category]:
        ReportCategory.objects.create(report=report, category=category)
    return report
