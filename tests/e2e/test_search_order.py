"""A visitor types a word into the report list's form, in Kazakh, Russian and English, on a phone and
a desktop, and sends it as it is: the form's default order, "Best match, then newest", lists the report
that is most about the word first, though it is the oldest; "Newest first" then puts it last. Until
this, the form always sent "newest", so no search typed into it was ever ranked (issue 16)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from impacts.models import Status
from tests.reports import make_report

from .people import a_visitor, follow, in_language, shown_references
from .site_pages import open_filters

pytestmark = pytest.mark.browser

# The word typed (in capitals, as a phone's keyboard may leave it), the best match (the word in its
# title and twice in its text) and a newer report that only mentions it once.
TEXTS = {
    "en": ("cyanide", ("Cyanide in the well", "Cyanide again: the cyanide smell stays."),
           ("Dead fish at the dam", "Someone said cyanide.")),
    "ru": ("цианид", ("Цианид в колодце", "Снова цианид: запах цианид держится."),
           ("Мёртвая рыба у плотины", "Говорят, это цианид.")),
    "kk": ("цианид", ("Құдықта цианид", "Тағы да цианид: цианид иісі кетпейді."),
           ("Бөгет жанында өлі балық", "Біреу цианид деді.")),
}  # fmt: skip


def published(title: str, text: str, day: int):
    return make_report(
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        public_title=title,
        public_description=text,
        observed_on=datetime.date(2026, 10, day),
    )


@pytest.mark.parametrize(("language", "viewport"), [("kk", "phone"), ("ru", "desktop"), ("en", "phone")])
def test_a_search_sent_from_the_form_lists_the_best_match_first_until_another_order_is_chosen(
    browser, request, site, language, viewport
):
    word, best_texts, newer_texts = TEXTS[language]
    best = published(*best_texts, day=1)
    newer = published(*newer_texts, day=5)
    published("Noise at night" if language == "en" else "Түнгі шу", "Nothing else.", day=9)  # no match

    with a_visitor(browser, request, site, viewport) as page:
        page.goto(f"{site}/{language}/reports/")
        open_filters(page)
        sort = page.locator("#id_ordering")
        expect(sort.locator("option:checked")).to_have_text(in_language(language, "Best match, then newest"))
        page.fill("#id_q", word.upper())
        follow(page, page.locator("details.filters form button[type=submit]"))

        assert shown_references(page) == [best.reference, newer.reference]
        expect(page.locator("main article .card-title").first).to_have_text(best_texts[0])
        expect(sort.locator("option:checked")).to_have_text(in_language(language, "Best match, then newest"))
        expect(page.locator("#id_q")).to_have_value(word.upper())  # what was typed stays

        open_filters(page)
        sort.select_option("newest")
        follow(page, page.locator("details.filters form button[type=submit]"))
        assert shown_references(page) == [newer.reference, best.reference]
        expect(sort.locator("option:checked")).to_have_text(in_language(language, "Newest first"))
        expect(page.locator("#id_q")).to_have_value(word.upper())
