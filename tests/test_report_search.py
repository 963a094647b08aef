"""Searching the published reports stays cheap however many there are (issue 16).

A visitor searching a word found in half of all reports gets a page as fast as for a rare word:
PostgreSQL matches through the GIN index of a stored search vector (nothing recomputed per row,
the vector never sent to Python), ranks only a bounded set of matches, and the page counts matches
only up to a cap ("More than 1,000 reports match"). Not timed: these tests pin the mechanisms.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from impacts.filters import ImpactReportFilter
from impacts.models import ImpactReport
from impacts.search import INDEX, CappedPaginator
from tests.reports import make_report

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")


def published(title: str, text: str = "Seen from the road.", day: int = 1, **kw) -> ImpactReport:
    return make_report(
        status="published",
        published_at=timezone.now(),
        public_title=title,
        public_description=text,
        observed_on=datetime.date(2026, 10, day),
        **kw,
    )


def listed(client, **query) -> tuple[list[str], str]:
    response = client.get("/en/reports/", query)
    assert response.status_code == 200
    text = response.content.decode()
    return [report.public_title for report in response.context["page"].object_list], text


def heading(text: str) -> str:
    return " ".join(re.search(r'<h2 class="h5" id="results">(.*?)</h2>', text, re.S).group(1).split())


# The index and what travels -------------------------------------------------------------------------


@postgresql_only
@pytest.mark.parametrize("words", ["dust", "Dust -river", '"black dust"', "пыль", "шаң"])
def test_every_kind_of_search_is_answered_from_the_stored_vectors_index(words):
    published("Black dust over Shieli", text="Пыль и шаң every night.")
    # Over all rows and without plain index scans: with a handful of rows the planner would rightly
    # walk the status index instead (bench/public_pages.py shows the plan at 100,000 reports).
    queryset = ImpactReportFilter({"q": words}, queryset=ImpactReport.objects.all()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert f"Bitmap Index Scan on {INDEX}" in plan, plan
    assert "to_tsvector" not in plan, plan  # no vector computed per row


@postgresql_only
def test_the_search_vector_stays_in_its_row_not_in_toast():
    # A broad word's page walks the date index and tests each row's vector: a vector moved out to
    # the TOAST table costs a lookup and a chunk read per row tested (migration 0022).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'search_vector'",
            [ImpactReport._meta.db_table],
        )
        assert cursor.fetchone() == ("m",)  # MAIN: compressed in the row, moved out only as a last resort


@postgresql_only
@pytest.mark.parametrize("path", ["/en/reports/", "/api/reports/", "/en/reports/export.csv"])
def test_a_search_never_loads_the_search_vector(client, path):
    published("Black dust over Shieli")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"q": "dust"})
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert "Black dust over Shieli" in body.decode()
    searches = [query["sql"] for query in queries.captured_queries if "search_vector" in query["sql"]]
    assert searches, "the search did not use the stored vector"
    for sql in searches:
        selected = sql[: sql.index(" FROM ")]  # the columns that travel to Python
        ranked = len(re.findall(r'ts_rank\(\(?"impacts_impactreport"\."search_vector"', selected))  # its rank only
        assert selected.count("search_vector") == ranked and "to_tsvector" not in sql, sql


# What a visitor finds ------------------------------------------------------------------------------


@postgresql_only
@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Вода в реке стала мутной", "воды"),  # Russian: another case of the same word
        ("Мутная вода", "вода"),
        ("Dust over the villages", "village"),  # English: plural and singular
        ("Өзен суы ластанды", "суы"),  # Kazakh: found as written (PostgreSQL has no Kazakh stemmer)
    ],
)
def test_a_word_is_found_in_its_other_forms_where_postgresql_knows_the_language(client, stored, typed):
    published(stored)
    published("Noise at night")

    assert listed(client, q=typed)[0] == [stored]


@postgresql_only
def test_a_narrow_word_is_ranked_by_relevance_and_a_broad_word_lists_the_newest_first(client, monkeypatch):
    published("Dust on the roofs", day=1)  # the word in the title: most relevant, but oldest
    published("Night noise", text="Some dust.", day=2)
    published("Smoke", text="Dust too.", day=3)

    monkeypatch.setattr("impacts.search.RANKED_CANDIDATES", 3)
    assert listed(client, q="dust")[0][0] == "Dust on the roofs"

    monkeypatch.setattr("impacts.search.RANKED_CANDIDATES", 2)  # now more match than are ranked
    assert listed(client, q="dust")[0] == ["Smoke", "Night noise", "Dust on the roofs"]


FORM_DEFAULTS = {  # what the list's filter form sends when only the words are typed
    "project": "", "sector": "", "region": "", "category": "", "severity": "", "reporter_type": "",
    "observed_from": "", "observed_to": "", "has_photos": "unknown", "ongoing": "unknown", "ordering": "",
}  # fmt: skip


def test_a_search_from_the_form_shows_the_best_match_first_unless_another_order_is_chosen(client):
    """The form's default order is "Best match, then newest": PostgreSQL ranks by relevance,
    SQLite (development) puts the reports with the words in their title first."""
    published("Dust on the roofs", text="Dust again, dust everywhere.", day=1)  # the best match, oldest
    published("Night noise", text="Some dust.", day=3)
    published("Smoke", text="Dust too.", day=2)

    titles, text = listed(client, q="dust", **FORM_DEFAULTS)
    assert titles == ["Dust on the roofs", "Night noise", "Smoke"]
    assert '<option value="" selected>Best match, then newest</option>' in text
    assert listed(client, q="dust", **{**FORM_DEFAULTS, "ordering": "newest"})[0] == [
        "Night noise",
        "Smoke",
        "Dust on the roofs",
    ]
    assert listed(client, q="dust", **{**FORM_DEFAULTS, "ordering": "oldest"})[0][0] == "Dust on the roofs"
    # Without words there is nothing to match: the default order is the newest first.
    assert listed(client, **FORM_DEFAULTS)[0] == ["Night noise", "Smoke", "Dust on the roofs"]


def test_the_best_match_order_pages_through_every_match_once(client):
    for day in range(1, 26):
        published(f"Dust report {day}" if day % 5 == 0 else f"Report {day}", text="Some dust.", day=day)
    first, _ = listed(client, q="dust", **FORM_DEFAULTS)
    second, _ = listed(client, q="dust", page=2, **FORM_DEFAULTS)
    assert first[:5] == [f"Dust report {day}" for day in (25, 20, 15, 10, 5)]
    assert len(first) == 20 and len(second) == 5 and not set(first) & set(second)


HOSTILE_WORDS = [
    "%", "_", "%%dust", "\\", "'", "' OR 1=1 --", '"', '"unclosed', "dust' ; DROP TABLE impacts_impactreport; --",
    "<script>alert(1)</script>", "-", "---", "or", "!()&|:*", "dust" * 200, "\u202edust", "ДУСТ%",
]  # fmt: skip


@pytest.mark.parametrize("words", HOSTILE_WORDS)
def test_hostile_words_in_the_best_match_order_are_only_words(client, words):
    """Whatever is typed, the default order ranks it as plain words: never a server error, LIKE's
    wildcards and SQL's quotes match only themselves, markup is shown escaped, and no report that
    does not hold the words is listed."""
    published("Dust on the roofs", text="Dust again.", day=1)
    published("Night noise", text="Loud trucks.", day=2)
    response = client.get("/en/reports/", {"q": words, **FORM_DEFAULTS})
    assert response.status_code == 200
    titles = [report.public_title for report in response.context["page"].object_list]
    assert "Night noise" not in titles
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert ImpactReport.objects.count() == 2


def test_exports_and_the_api_keep_every_match_of_a_broad_word(client, monkeypatch):
    monkeypatch.setattr("impacts.search.RANKED_CANDIDATES", 2)
    for day in range(1, 6):
        published(f"Dust {day}", day=day)
    published("Noise")

    api = client.get("/api/reports/", {"q": "dust"}).json()
    assert api["count"] == 5 and len(api["results"]) == 5
    csv_text = b"".join(client.get("/en/reports/export.csv", {"q": "dust"}).streaming_content).decode()
    assert sum(f"Dust {day}" in csv_text for day in range(1, 6)) == 5 and "Noise" not in csv_text


# Counting up to a cap --------------------------------------------------------------------------------


def test_past_the_cap_the_list_says_more_than_and_counts_no_further(client, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for day in range(1, 6):
        published(f"Dust {day}", day=day)

    with CaptureQueriesContext(connection) as queries:
        titles, text = listed(client, q="dust")
    assert heading(text) == "More than 3 reports match"
    # Ranked (fewer matches than RANKED_CANDIDATES): numbered pages reach the first 3 (equal ranks:
    # newest first).
    assert titles == ["Dust 5", "Dust 4", "Dust 3"]
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert any("LIMIT 4)" in sql for sql in counts), counts  # the pager reads cap + 1 rows at most
    assert all(re.search(r"LIMIT \d+\) subquery$", sql) for sql in counts), counts  # no count is unbounded


def test_under_the_cap_the_list_gives_the_exact_number(client, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for day in range(1, 4):
        published(f"Dust {day}", day=day)
    published("Noise")

    assert heading(listed(client, q="dust")[1]) == "3 reports match"
    assert heading(listed(client)[1]) == "More than 3 reports match"  # the plain list stops at the cap too


def test_a_search_page_counts_its_matches_once(client):
    for day in range(1, 4):
        published(f"Dust {day}", day=day)

    with CaptureQueriesContext(connection) as queries:
        titles, text = listed(client, q="dust")
    assert heading(text) == "3 reports match"
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1, counts  # deciding whether to rank and paging share one bounded count
