"""A visitor reading in Kazakh or Russian sees the catalogue in their language where it exists,
sees which texts are not yet translated, and finds lists sorted as they read them."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from impacts.filters import ImpactReportFilter
from impacts.forms import ImpactReportForm
from projects.models import Project, TranslationOrigin
from tests.catalogue import make_project

pytestmark = pytest.mark.django_db

NOT_TRANSLATED = 'class="badge rounded-pill text-bg-light border fw-normal not-translated"'


def url_in(language: str, name: str, *args) -> str:
    with translation.override(language):
        return reverse(name, args=args)


def card_names(content: str) -> list[str]:
    return re.findall(r'<h3 class="h5 card-title"><a href="[^"]+"(?: lang="en")?>([^<]+)</a>', content)


@pytest.fixture
def three_plants():
    """English order A, B, C; Russian order (А, Б, В) is the reverse; only one has a Kazakh name."""
    make_project(name_en="Alpha cement plant", name_ru="Цементный завод", slug="alpha")
    make_project(
        name_en="Bravo steel mill",
        name_ru="Металлургический завод",
        slug="bravo",
        name_kk="Болат зауыты",
        name_kk_origin="human",
    )
    make_project(name_en="Charlie refinery", name_ru="Азотный завод", slug="charlie")


def test_a_kazakh_visitor_sees_the_kazakh_name_and_its_origin(client, three_plants):
    content = client.get(url_in("kk", "projects:project_detail", "bravo")).content.decode()

    assert '<h1 class="h2"><span>Болат зауыты</span></h1>' in content
    with translation.override("kk"):
        human = str(TranslationOrigin.HUMAN.label)
    assert f'<span lang="kk">Болат зауыты</span> <span class="small text-body-secondary">({human})</span>' in content


def test_an_english_name_on_a_kazakh_page_is_marked_not_yet_translated(client, three_plants):
    content = client.get(url_in("kk", "projects:project_detail", "alpha")).content.decode()

    assert '<h1 class="h2"><span lang="en">Alpha cement plant</span> <span ' + NOT_TRANSLATED in content


def test_english_only_texts_are_marked_on_russian_pages_and_not_on_english_ones(client):
    project = make_project(
        name_en="Dust plant",
        name_ru="Пыльный завод",
        environmental_notes="Residents report dust.",
        capacity="1 Mt per year",
    )

    russian = client.get(url_in("ru", "projects:project_detail", project.slug)).content.decode()
    english = client.get(url_in("en", "projects:project_detail", project.slug)).content.decode()

    assert '<h1 class="h2"><span>Пыльный завод</span></h1>' in russian
    assert '<span lang="en">Residents report dust.</span>' in russian
    assert russian.count(NOT_TRANSLATED) == 2  # the notes and the capacity; the name is translated
    assert NOT_TRANSLATED not in english


def test_a_translated_overview_is_shown_with_its_origin_and_the_original_one_click_away(client):
    project = make_project(
        name_en="Wind farm",
        overview="A 60 MW wind farm.",
        overview_ru="Ветровая электростанция на 60 МВт.",
        overview_ru_origin="machine",
    )

    russian = client.get(url_in("ru", "projects:project_detail", project.slug)).content.decode()
    kazakh = client.get(url_in("kk", "projects:project_detail", project.slug)).content.decode()

    assert "Ветровая электростанция на 60 МВт." in russian
    assert 'href="#overview-original"' in russian and '<div lang="en"><p>A 60 MW wind farm.</p></div>' in russian
    assert '<div class="mb-4" lang="en">' in kazakh and "A 60 MW wind farm." in kazakh
    assert NOT_TRANSLATED in kazakh


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Alpha cement plant", "Bravo steel mill", "Charlie refinery"]),
        ("ru", ["Азотный завод", "Металлургический завод", "Цементный завод"]),
        # Kazakh: the one Kazakh name, sorted among the English ones it stands beside.
        ("kk", ["Alpha cement plant", "Charlie refinery", "Болат зауыты"]),
    ],
)
def test_the_catalogue_list_is_sorted_by_the_name_the_visitor_reads(client, three_plants, language, expected):
    content = client.get(url_in(language, "projects:project_list")).content.decode()

    assert card_names(content) == expected
    reverse_order = client.get(url_in(language, "projects:project_list"), {"ordering": "-name"}).content.decode()
    assert card_names(reverse_order) == expected[::-1]


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_report_form_and_report_filter_list_projects_by_the_shown_name_in_its_order(three_plants, language):
    with translation.override(language):
        expected = [project.name for project in sorted(Project.objects.all(), key=lambda p: p.name.lower())]
        form_choices = [label for value, label in ImpactReportForm().fields["project"].choices if value]
        filter_choices = [label for value, label in ImpactReportFilter().form.fields["project"].choices if value]

    assert form_choices == expected
    assert filter_choices == expected


def test_the_report_filter_dropdown_matches_the_russian_names_on_the_cards(client, three_plants):
    content = client.get(url_in("ru", "impacts:report_list")).content.decode()

    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', content)
    assert options[:3] == ["Азотный завод", "Металлургический завод", "Цементный завод"]
    assert "Alpha cement plant" not in content
