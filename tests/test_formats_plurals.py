"""Numbers meet nouns in the right grammatical form, and dates read the way Kazakh and Russian
readers write them: "1 проект / 2 проекта / 5 проектов / 21 проект", "52 жоба" (never "жобалар"),
"2026 жылғы 27 қараша, 13:20" (never "Қар. 27, 2026, 1:20 Т.Қ.")."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import formats, timezone, translation

from impacts.models import Status
from projects.models import ProgrammeFigure
from tests.catalogue import make_project
from tests.reports import make_report

PROJECTS = Template(
    "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} project{% plural %}"
    "{{ counter }} projects{% endblocktranslate %}"
)
MOMENT = datetime.datetime(2026, 11, 27, 13, 20)


def in_language(language: str, template: Template, **context) -> str:
    with translation.override(language):
        return template.render(Context(context))


@pytest.mark.parametrize(
    ("n", "russian"),
    [
        (1, "1 проект"),
        (2, "2 проекта"),
        (4, "4 проекта"),
        (5, "5 проектов"),
        (11, "11 проектов"),
        (21, "21 проект"),
        (22, "22 проекта"),
        (52, "52 проекта"),
        (111, "111 проектов"),
    ],
)
def test_russian_counts_take_the_three_plural_forms(n, russian):
    assert in_language("ru", PROJECTS, n=n) == russian


@pytest.mark.parametrize(("n", "kazakh"), [(1, "1 жоба"), (2, "2 жоба"), (32, "32 жоба"), (52, "52 жоба")])
def test_kazakh_nouns_after_a_number_stay_singular(n, kazakh):
    assert in_language("kk", PROJECTS, n=n) == kazakh


def test_kazakh_dates_read_year_first_with_a_24_hour_clock():
    with translation.override("kk"):
        assert formats.date_format(MOMENT, "DATE_FORMAT") == "2026 жылғы 27 қараша"
        assert formats.date_format(MOMENT, "DATETIME_FORMAT") == "2026 жылғы 27 қараша, 13:20"
        assert formats.date_format(MOMENT, "SHORT_DATE_FORMAT") == "27.11.2026"
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "27.11.2026 13:20"
        assert formats.date_format(MOMENT, "YEAR_MONTH_FORMAT") == "2026 жылғы қараша"
        assert formats.time_format(MOMENT.time(), "TIME_FORMAT") == "13:20"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


@pytest.mark.parametrize("month", range(1, 13))
def test_no_kazakh_month_is_left_in_english_or_capitalised(month):
    with translation.override("kk"):
        text = formats.date_format(datetime.date(2026, month, 3), "DATE_FORMAT")
    name = text.split()[-1]
    assert name == name.lower() and not name.isascii(), text


def test_russian_dates_use_the_genitive_month_and_a_24_hour_clock():
    with translation.override("ru"):
        assert formats.date_format(MOMENT, "DATE_FORMAT") == "27 ноября 2026 г."
        assert formats.date_format(MOMENT, "DATETIME_FORMAT") == "27 ноября 2026 г. 13:20"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kazakh_and_russian_numbers_use_a_decimal_comma_and_a_no_break_space(language):
    with translation.override(language):
        assert formats.number_format(Decimal("21100.5"), force_grouping=True) == "21\xa0100,5"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("ru", "52 проекта"), ("kk", "52 жоба"), ("en", "52 projects")])
def test_the_home_page_counts_the_programme_in_the_visitors_grammar(client, language, expected):
    ProgrammeFigure.objects.create(
        key="programme_projects",
        label="Projects",
        value=Decimal("52.000"),
        unit="projects",
        source_title="Government",
        source_url="https://gov.kz/",
    )

    html = client.get(f"/{language}/").content.decode()

    assert expected in html
    assert "52 проекты" not in html and "52 жобалар" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("count", "russian"), [(1, "1 проект"), (2, "2 проекта"), (5, "5 проектов")])
def test_the_statistics_page_counts_the_catalogue_in_russian_grammar(client, count, russian):
    for _ in range(count):
        make_project()

    html = client.get("/ru/stats/").content.decode()

    assert russian in html


@pytest.mark.django_db
def test_a_kazakh_page_shows_the_publication_date_in_kazakh(client):
    published = timezone.make_aware(datetime.datetime(2026, 11, 27, 13, 20))
    make_report(status=Status.PUBLISHED, published_at=published, public_title="Түнде қара шаң")

    html = client.get("/kk/").content.decode()

    assert "Түнде қара шаң" in html
    assert "2026 жылғы 27 қараша" in html
    assert "Қар. 27" not in html and "Т.Қ." not in html
