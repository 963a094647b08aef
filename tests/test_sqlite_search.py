"""Search finds Kazakh and Russian words whatever their case, on SQLite too.

SQLite's LIKE folds only ASCII letters, so before this "шаңтозаң" did not find "ШАҢТОЗАҢ". (On
PostgreSQL the reports are searched by full-text search and projects by `icontains`, which fold
Unicode already; these tests run there too.)
"""

import pytest
from django.utils import timezone

from impacts.models import ImpactReport, Status
from kzcn.casefold import contains_text
from tests.catalogue import make_project
from tests.reports import make_report

pytestmark = pytest.mark.django_db


def published(title: str, text: str = "Түнде ауылға түседі.") -> ImpactReport:
    return make_report(
        status=Status.PUBLISHED, published_at=timezone.now(), public_title=title, public_description=text
    )


def found_reports(client, query: str) -> list[str]:
    response = client.get("/en/reports/", {"q": query})
    assert response.status_code == 200
    return [report.public_title for report in response.context["page"].object_list]


@pytest.mark.parametrize(
    "typed",
    ["шаңтозаң", "ШАҢТОЗАҢ", "Шаңтозаң", "шАҢтОзАҢ"],
)
def test_a_kazakh_word_is_found_in_any_case(client, typed):
    published("ШАҢТОЗАҢ ауылды басты")
    published("Түнгі шу")

    assert found_reports(client, typed) == ["ШАҢТОЗАҢ ауылды басты"]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Чёрная ПЫЛЬ на крышах", "пыль"),
        ("чёрная пыль", "ЧЁРНАЯ"),
        ("Сәуле ӨНДІРІСІ", "өндірісі"),
        ("Үй ІШІНДЕ", "ішінде"),
    ],
)
def test_russian_and_kazakh_letters_outside_ascii_fold_both_ways(client, stored, typed):
    published(stored)

    assert found_reports(client, typed) == [stored]


def test_every_word_must_match_in_title_or_text_and_unpublished_reports_stay_hidden(client):
    published("Шаң", text="ҚАРА шаң түседі")
    published("Шаң", text="Ақ түтін")
    make_report(status=Status.SUBMITTED, public_title="Қара шаң", public_description="қара шаң")

    assert found_reports(client, "шаң Қара") == ["Шаң"]


def test_signs_of_the_like_syntax_are_searched_as_typed(client):
    published("Шаң 100% түседі")
    published("Шаң түседі")

    assert found_reports(client, "100%") == ["Шаң 100% түседі"]
    assert found_reports(client, "_") == []


@pytest.mark.parametrize("typed", ["ШЫМКЕНТ", "шымкент", "ПЕТРОКАЗАХСТАН", "петроказахстан", "SHYMKENT"])
def test_project_search_finds_names_and_companies_in_any_case(client, typed):
    make_project(
        name_en="Shymkent refinery",
        name_ru="Шымкентский НПЗ",
        name_kk="Шымкент мұнай өңдеу зауыты",
        kazakh_partners_as_stated="ПетроКазахстан",
    )
    make_project(name_en="Aktobe plant")

    response = client.get("/en/projects/", {"q": typed})

    assert [project.name_en for project in response.context["page"].object_list] == ["Shymkent refinery"]


def test_the_comparison_helper_matches_any_case_in_a_plain_query():
    published("ӨЗЕН ЛАСТАНДЫ")
    published("Жел")

    assert ImpactReport.objects.filter(contains_text("public_title", "өзен")).count() == 1
    assert ImpactReport.objects.filter(contains_text("public_title", "ӨЗЕН ластанды")).count() == 1
