"""Full-text search of the public reports, and a pager that stops counting at a cap.

On PostgreSQL every report carries a stored, generated ``tsvector`` column (migration 0008): the
public title (weight A) and public text (weight B), each twice: with the ``simple`` configuration
(every word as written, lower-cased: Kazakh, for which PostgreSQL has no configuration, and exact
words in any language) and with ``russian`` (Russian stems, and English stems for words in Latin
letters), so "вода" finds "воды" and "villages" finds "village". A query is matched against both
(``simple`` OR ``russian``). The column is not declared on the model: no ORM query ever loads it
(a ``GeneratedField`` would be selected by every list, admin page and export unless each deferred
it), and SQLite, which searches with LIKE (kzcn.casefold), needs no stand-in column.

The cost of a search must not grow with the number of reports. So:
- matching uses the GIN index of the stored column (nothing is computed per row);
- only a bounded set of matches is ranked: up to ``RANKED_CANDIDATES``; a broader word is listed
  newest first (its matches are dense, so the newest come quickly off the date index);
- the pager counts at most ``COUNT_CAP`` + 1 matches, and the list says "more than 1,000" past it;
- a one-word search of all published reports is not counted when the word's number of published
  reports (``SearchWord``, kept by triggers: migration 0023) already says it is past the cap
  (``with_known_count``), whatever the list's order. Counting 1,001 matches reads about 960 table
  pages at 100,000 reports (the GIN index alone cannot tell whether a row is published or visible):
  3 ms, twice the page's own query. A search with filters is counted as before (the words' numbers
  are of all published reports, not of the filtered ones).
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, QuerySet, When
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

from kzcn.casefold import contains_text

from .models import ImpactReport, SearchWord

COLUMN = "search_vector"
INDEX = "report_search_vector"
# The configurations the column holds, in the order of its definition (see migration 0008).
CONFIGS = ("simple", "russian")
# One cap for both, so the list reads simply: up to 1,000 matches are counted exactly and ranked by
# relevance; past it the list says "more than 1,000" and shows the newest first.
COUNT_CAP = 1_000
RANKED_CANDIDATES = COUNT_CAP


def document() -> RawSQL:
    """The stored search vector of a report (PostgreSQL only), named with its table so a join can
    never make it ambiguous. Only matched and ranked in SQL: the vector itself is never selected."""
    table = connection.ops.quote_name(ImpactReport._meta.db_table)
    column = connection.ops.quote_name(COLUMN)
    # Constant SQL from quoted names: no visitor input reaches it (the words go to SearchQuery).
    return RawSQL(f"{table}.{column}", [], output_field=SearchVectorField())  # noqa: S611


def query(words: str) -> SearchQuery:
    """The visitor's words in web-search syntax ("quotes", -not, or), as written or as stems."""
    queries = [SearchQuery(words, search_type="websearch", config=config) for config in CONFIGS]
    combined = queries[0]
    for other in queries[1:]:
        combined |= other
    return combined


def matching(queryset: QuerySet, words: str) -> QuerySet:
    """Reports whose public title or text match the words, through the GIN index. The vector is
    an alias (WHERE only), so the tsvector never travels to Python."""
    return queryset.alias(search=document()).filter(search=query(words))


def count_up_to(queryset: QuerySet, cap: int) -> int:
    """How many rows the queryset has, reading no more than cap + 1 of them (one bounded query;
    none if ranked() already counted these very rows up to the same cap)."""
    known = getattr(queryset, "counted_up_to", None)
    if known and known[0] == cap:
        return known[1]
    # No ordering (a rank ordering would rank every match just to count them); only the key.
    return queryset.order_by().values("pk")[: cap + 1].count()


# The most reports holding one of the words that are a whole query on their own in some configuration:
# every one of those reports matches the search (`query()` ORs the configurations), so this many at
# least do. Words, configurations and table travel as parameters or quoted names.
SINGLE_WORD_MATCHES = f"""
SELECT max(word.reports)
FROM unnest(%s::regconfig[]) AS config (name)
CROSS JOIN LATERAL websearch_to_tsquery(config.name, %s) AS typed (query)
CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector(config.name, %s))) AS lexeme (text)
JOIN {connection.ops.quote_name(SearchWord._meta.db_table)} AS word ON word.lexeme = lexeme.text
WHERE numnode(typed.query) = 1 AND array_to_tsvector(ARRAY[lexeme.text]) @@ typed.query
"""  # noqa: S608


def known_matches_at_least(words: str) -> int:
    """How many published reports at least match the words, from the kept word counts alone: 0
    unless the search is a single word (no phrase, "-not" or "or") in some configuration."""
    with connection.cursor() as cursor:
        cursor.execute(SINGLE_WORD_MATCHES, [list(CONFIGS), words, words])
        (known,) = cursor.fetchone()
    return known or 0


def with_known_count(queryset: QuerySet, words: str) -> QuerySet:
    """Mark the search of all published reports as past the pager's cap when the word counts say so,
    so that neither ranked() nor the pager counts it (count_up_to() reads the mark). Only for a
    queryset with no other filter than the words: the counts are of all published reports. On SQLite
    (no word counts: they are kept by PostgreSQL triggers) the queryset is left to be counted."""
    cap = CappedPaginator.cap
    if connection.vendor == "postgresql" and known_matches_at_least(words) > cap:
        queryset.counted_up_to = (cap, cap + 1)  # as count_up_to() would have counted, without reading a match
    return queryset


def ranked(queryset: QuerySet, words: str) -> QuerySet:
    """The matches by relevance (ts_rank; on SQLite, words in the title) when there are at most
    RANKED_CANDIDATES of them; otherwise as they are (newest first).

    Ranking a word found in half of 100,000 reports would compute ts_rank for 50,000 rows on every
    page view; for such a broad word the newest matches are as good an answer, and they come
    straight off the (status, observed_on) index. Deciding costs one query that reads at most
    RANKED_CANDIDATES + 1 matches, or none when with_known_count() has already decided. Every
    match stays in the result (exports and the API see all). `queryset` must already carry every
    filter, so the decision is about what the visitor asked for.
    """
    matches = count_up_to(queryset, RANKED_CANDIDATES)
    if matches <= RANKED_CANDIDATES:
        rank = SearchRank(document(), query(words)) if connection.vendor == "postgresql" else title_matches(words)
        queryset = queryset.annotate(rank=rank).order_by("-rank", *queryset.query.order_by)
    # The pager counts the same rows up to the same cap: it reuses this count. (A queryset derived
    # from this one, e.g. filtered further, is a clone without the attribute, so it counts afresh.)
    queryset.counted_up_to = (RANKED_CANDIDATES, matches)
    return queryset


def title_matches(words: str) -> Case:
    """SQLite's rank (development, which has no ts_rank): how many of the words the public title
    holds, so that the reports about the words come before those that only mention them."""
    in_title = [Case(When(contains_text("public_title", word), then=1), default=0) for word in words.split()]
    return sum(in_title[1:], in_title[0])


class CappedPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows (one bounded query), then stops.

    Past the cap, `count` is COUNT_CAP (so the pages reach the first COUNT_CAP rows) and
    `more_than_cap` is true, for the list to say "more than 1,000 reports match".
    """

    cap = COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return count_up_to(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def more_than_cap(self) -> bool:
        return self._counted > self.cap
