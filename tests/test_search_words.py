"""The kept number of published reports per word, and the searches it spares a count (issue 16).

PostgreSQL's triggers keep ``impacts_searchword`` (migration 0023); these tests prove it equal to
the live count after every kind of write, under concurrent writers, and from the migration's own
count of existing reports, and that a one-word search of all published reports past the cap reads
no match to say so, while every other search is counted as before. Not timed.
"""

import importlib
import re
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from impacts import workflow
from impacts.models import ImpactReport, SearchWord
from impacts.search import CappedPaginator, known_matches_at_least
from tests.reports import make_report
from tests.test_map_clusters import many_published
from tests.test_report_search import published

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the word counts are kept by PostgreSQL triggers"),
]

LIVE_COUNTS = """
SELECT lexeme, count(*) FROM impacts_impactreport, unnest(tsvector_to_array(search_vector)) AS lexeme
WHERE status = 'published' GROUP BY lexeme
"""


def live() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(LIVE_COUNTS)
        return dict(cursor.fetchall())


def kept() -> dict[str, int]:
    return dict(SearchWord.objects.exclude(reports=0).values_list("lexeme", "reports"))


def in_review(moderator, title: str, text: str) -> ImpactReport:
    report = make_report(public_title=title, public_description=text)
    workflow.apply(report, "start_review", by=moderator)
    return report


# The counts equal the live ones ----------------------------------------------------------------------


def test_the_kept_counts_equal_the_live_counts_after_every_kind_of_write(moderator, senior_moderator):
    dust = in_review(moderator, "Black dust over the village", "Пыль и шаң every night.")
    noise = in_review(moderator, "Noise of trucks", "Trucks and dust at night.")
    first = published("Smoke from the stack", "Smoke, dust, smell.")
    assert kept() == live() and kept()["dust"] == 1

    def edit_published_text():
        first.public_description = "Only smoke now."
        first.save()

    def save_without_change():
        first.save()

    steps = {
        "a submission (not public)": lambda: make_report(public_title="Dust", public_description="Dust."),
        "publication": lambda: workflow.apply(dust, "publish", by=moderator),
        "a second publication": lambda: workflow.apply(noise, "publish", by=moderator),
        "an edit of a published text": edit_published_text,
        "a save that changes nothing": save_without_change,
        "a bulk update of published texts": lambda: ImpactReport.objects.published().update(public_title="Дым"),
        "a withdrawal": lambda: workflow.apply(dust, "withdraw", by=senior_moderator, message="Asked."),
        "a deletion": lambda: ImpactReport.objects.filter(pk=noise.pk).delete(),
        "a bulk insert": lambda: many_published(3),
    }
    for step, write in steps.items():
        write()
        assert kept() == live(), step
    assert kept()["dust"] == 3 and kept()["дым"] == 1


def test_a_withdrawn_word_stays_with_zero_and_counts_again_when_published():
    report = published("Cyanide in the river")
    ImpactReport.objects.filter(pk=report.pk).update(status="withdrawn")
    assert SearchWord.objects.get(lexeme="cyanide").reports == 0
    ImpactReport.objects.filter(pk=report.pk).update(status="published")
    assert SearchWord.objects.get(lexeme="cyanide").reports == 1


def test_the_migration_counts_the_reports_published_before_it():
    published("Cyanide in the river", "Dead fish.")
    published("Dust", "Dead trees.")
    SearchWord.objects.all().delete()
    migration = importlib.import_module("impacts.migrations.0023_search_words")
    with connection.cursor() as cursor:
        cursor.execute(migration.COUNT_EXISTING)
    assert kept() == live() and kept()["dead"] == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_publications_sharing_words_neither_deadlock_nor_lose_a_count():
    """Two writers publishing reports with the same words in opposite orders, many times at once:
    the upsert locks the words in one order, so no deadlock; each transaction adds to the numbers."""
    words = [f"word{n}" for n in range(40)]
    errors = []
    start = threading.Barrier(2)

    def writer(order: list[str]):
        try:
            start.wait()
            for n in range(15):
                with transaction.atomic():
                    published("Words", text=" ".join(order), day=1 + n % 28)
                    published("Words", text=" ".join(order[::2]), day=1 + n % 28)
        except Exception as error:  # noqa: BLE001 (reported below, with its kind)
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=writer, args=(order,)) for order in (words, words[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert kept() == live()
    # In all 30 reports of the first writer, and in the 15 the second wrote with every word.
    assert kept()["word0"] == 45


# What the search does with them --------------------------------------------------------------------------


@pytest.fixture
def cap_of_two(monkeypatch):
    monkeypatch.setattr("impacts.search.RANKED_CANDIDATES", 2)
    monkeypatch.setattr(CappedPaginator, "cap", 2)


def search(client, **query) -> tuple[list[str], str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/reports/", query)
    assert response.status_code == 200
    text = response.content.decode()
    heading = " ".join(re.search(r'<h2 class="h5" id="results">(.*?)</h2>', text, re.S).group(1).split())
    counts = [q["sql"] for q in queries.captured_queries if re.search(r"COUNT\(.*impacts_impactreport", q["sql"])]
    return [report.public_title for report in response.context["page"].object_list], heading, counts


def test_a_word_in_more_reports_than_are_ranked_is_listed_newest_first_without_counting(client, cap_of_two):
    for day in range(1, 4):
        published(f"Dust {day}", day=day)

    titles, heading, counts = search(client, q="dust")
    assert heading == "More than 2 reports match"
    assert titles == ["Dust 3", "Dust 2", "Dust 1"]  # pages by cursor, past the cap (impacts.keyset)
    assert counts == []  # the kept number of reports with "dust" said it, no match was read


@pytest.mark.parametrize("order", ["newest", "oldest", "severity"])
def test_the_search_form_with_its_defaults_and_any_order_is_not_counted_either(client, cap_of_two, order):
    """The form sends every field: its choices left on "any", and an order."""
    for day in range(1, 4):
        published(f"Dust {day}", day=day)
    form = {"q": "dust", "project": "", "region": "", "category": "", "has_photos": "unknown", "ongoing": "unknown"}

    titles, heading, counts = search(client, **form, ordering=order)
    assert heading == "More than 2 reports match" and len(titles) == 3
    assert counts == []


@pytest.mark.parametrize("words", ["dusts", "DUST", '"dust"'])
def test_the_same_word_written_otherwise_finds_the_same_number(client, cap_of_two, words):
    for day in range(1, 4):
        published(f"Dust {day}", day=day)

    assert search(client, q=words)[1:] == ("More than 2 reports match", [])


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ({"q": "dust -river"}, "1 report matches"),  # a "-not" takes reports away
        ({"q": '"on the river"'}, "2 reports match"),  # a phrase needs its words, in order
        ({"q": "dust river"}, "2 reports match"),  # both words
        ({"q": "dust", "region": "atyrau"}, "1 report matches"),  # a filter narrows the word's reports
        ({"q": "dust", "observed_to": "2026-10-02"}, "2 reports match"),
        ({"q": "dust", "region": "atyrau", "ordering": "newest", "has_photos": "unknown"}, "1 report matches"),
    ],
)
def test_every_other_search_is_counted(client, cap_of_two, query, heading):
    published("Dust 1", text="Dust on the river.", day=1, region="almaty")
    published("Dust 2", text="Dust on the river.", day=2, region="almaty")
    published("Dust 3", day=3, region="atyrau")

    titles, shown, counts = search(client, **query)
    assert shown == heading
    assert len(counts) == 1


def test_a_word_under_the_cap_is_counted_and_ranked(client, cap_of_two):
    published("Dust 1", day=1)
    published("Smoke", text="Some dust.", day=2)
    published("Noise", day=3)

    titles, heading, counts = search(client, q="dust")
    assert heading == "2 reports match" and titles == ["Dust 1", "Smoke"] and len(counts) == 1


@pytest.mark.parametrize("words", ["dust -river", '"black dust"', "dust or smoke", "dust smoke", "-dust", "---", "'"])
def test_only_a_single_word_gives_a_lower_bound(words):
    for day in range(1, 4):
        published(f"Black dust {day}", text="Smoke on the river.", day=day)

    assert known_matches_at_least(words) == 0


def test_a_single_word_gives_its_number_of_published_reports():
    for day in range(1, 4):
        published(f"Black dust {day}", day=day)
    make_report(public_title="Dust not yet published", public_description="Dust.")

    assert known_matches_at_least("dust") == 3
    assert known_matches_at_least("Пыль") == 0
