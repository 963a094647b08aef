"""Keyset (cursor) pages of the public report lists: the page after or before a known row.

A page is found by where it starts, not by how many rows come before it: ``?after=<cursor>`` holds
the sort values of the last report shown (``?before=`` those of the first), and the next page is
"the rows past that position" in the list's order, read off the list's index (``WHERE (observed_on,
id) < (…) ORDER BY … LIMIT 21``). Its cost does not grow with the depth of the page, and a link
stays stable while new reports are published (they go before page 1, never shift a page's rows).

The cursor is readable and needs no signature: ``2_2026-10-01_4711`` is "page 2, after the report
observed on 2026-10-01 with id 4711" (``2_3_2026-10-01_4711`` when sorted by severity first).
Every part is validated; any well-formed value is a legitimate position in the public list, and the
page number is only shown to the visitor. A cursor that cannot be read is an error for the API and
the first page for the web list.

Two kinds of list keep numbered pages, each bounded by ``search.COUNT_CAP`` rows, so that ``OFFSET``
never reads more than 1,000 rows:
- a search ranked by relevance (at most ``search.RANKED_CANDIDATES`` matches are ranked, so numbered
  pages cover them all; the rank is a float that makes a poor cursor);
- an old ``?page=N`` link: served from the capped count (a page past it shows the last one), with
  cursor links onward, so a bookmark keeps working and leads into the cursor pages.

Counting stops at the same cap: the list says "more than 1,000" and the API's ``count`` is capped.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db import connection
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import OrderBy, RawSQL

from .search import COUNT_CAP, CappedPaginator, count_up_to

SEPARATOR = "_"
MAX_PAGE_NUMBER = 10**6


class CursorError(ValueError):
    """A cursor that is not a position in this list (malformed, or written for another sort order)."""


@dataclass(frozen=True)
class Key:
    """One sort column of a list: its field name on the model and its direction."""

    name: str
    descending: bool


def keys_of(queryset: QuerySet) -> list[Key] | None:
    """The sort columns of the queryset, or None when it cannot be paged by keyset.

    Keyset needs plain columns, all in one direction (so that one row comparison follows one index)
    and ending with the primary key (so that every position is unique). A relevance ordering (an
    annotation such as ``-rank``) does not qualify.
    """
    keys = []
    for item in queryset.query.order_by:
        if isinstance(item, str) and item.lstrip("-").isidentifier():  # order_by("-observed_on", "-pk")
            keys.append(Key(item.lstrip("-"), item.startswith("-")))
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            keys.append(Key(item.expression.name, item.descending))
        else:
            return None
    if any("__" in key.name or key.name in queryset.query.annotations for key in keys):
        return None  # a related or computed value (e.g. the search rank) is not a column of this table
    if not keys or keys[-1].name not in ("pk", "id") or len({key.descending for key in keys}) != 1:
        return None
    return keys


def _field(queryset: QuerySet, key: Key):
    meta = queryset.model._meta
    return meta.pk if key.name in ("pk", "id") else meta.get_field(key.name)


@dataclass(frozen=True)
class Cursor:
    """A position in a list: the page number it leads to (shown only) and the sort values of a row."""

    number: int
    values: tuple

    def text(self) -> str:
        parts = [
            str(self.number),
            *(value.isoformat() if hasattr(value, "isoformat") else str(value) for value in self.values),
        ]
        return SEPARATOR.join(parts)


def read_cursor(text: str, queryset: QuerySet, keys: list[Key]) -> Cursor:
    """The cursor written as ``text`` for a list sorted by ``keys``; CursorError if it is not one."""
    parts = text.split(SEPARATOR)
    if len(parts) != len(keys) + 1 or not (parts[0].isascii() and parts[0].isdigit()):
        raise CursorError(text)
    number = int(parts[0])
    if not 1 <= number <= MAX_PAGE_NUMBER:
        raise CursorError(text)
    values = []
    for key, part in zip(keys, parts[1:], strict=True):
        model_field = _field(queryset, key)
        try:
            value = model_field.to_python(part)
            model_field.run_validators(value)
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise CursorError(text) from None
        if value is None or (isinstance(value, int) and not -(2**63) < value < 2**63):
            raise CursorError(text)
        values.append(value)
    return Cursor(number, tuple(values))


def cursor_of(row, keys: list[Key], number: int) -> Cursor:
    return Cursor(number, tuple(getattr(row, key.name) for key in keys))


def _past(queryset: QuerySet, keys: list[Key], cursor: Cursor, *, forward: bool) -> QuerySet:
    """Rows strictly after (forward) or before the cursor in the list's order: one row comparison,
    which PostgreSQL and SQLite both read as a range of the (…, id) index."""
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    columns = ", ".join(f"{table}.{connection.ops.quote_name(_field(queryset, key).column)}" for key in keys)
    # Descending lists continue towards smaller values; going backwards flips the comparison.
    operator = "<" if keys[0].descending == forward else ">"
    params = [
        _field(queryset, key).get_db_prep_value(value, connection)
        for key, value in zip(keys, cursor.values, strict=True)
    ]
    placeholders = ", ".join(["%s"] * len(keys))
    # Quoted names of the model's own columns; the values travel as parameters.
    condition = RawSQL(  # noqa: S611
        f"({columns}) {operator} ({placeholders})", params, output_field=BooleanField()
    )
    return queryset.filter(condition)


def _reversed(keys: list[Key]) -> list[OrderBy]:
    return [F(key.name).asc() if key.descending else F(key.name).desc() for key in keys]


@dataclass
class Counted:
    """What the list says about its size: an exact count up to the cap, else "more than the cap"."""

    count: int
    more_than_cap: bool
    cap: int = COUNT_CAP
    num_pages: int = 0  # keyset pages are not numbered in advance


@dataclass
class KeysetPage:
    """One page of a keyset list, with what the templates and the API need to link onward."""

    object_list: list
    number: int
    paginator: Counted
    next_cursor: str | None = None
    previous_cursor: str | None = None
    previous_is_first: bool = False
    keyset: bool = field(default=True, init=False)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None or self.previous_is_first

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def counted(queryset: QuerySet) -> Counted:
    """The list's size, reading at most cap + 1 rows (search.count_up_to), the cap of CappedPaginator."""
    cap = CappedPaginator.cap
    total = count_up_to(queryset, cap)
    return Counted(count=min(total, cap), more_than_cap=total > cap, cap=cap)


def first_page(queryset: QuerySet, keys: list[Key], per_page: int) -> KeysetPage:
    return after(queryset, keys, None, per_page)


def after(queryset: QuerySet, keys: list[Key], cursor: Cursor | None, per_page: int) -> KeysetPage:
    """The page following the cursor (the first page without one)."""
    number = cursor.number if cursor else 1
    rows = _past(queryset, keys, cursor, forward=True) if cursor else queryset
    rows = list(rows[: per_page + 1])
    shown = rows[:per_page]
    page = KeysetPage(shown, number, counted(queryset))
    if len(rows) > per_page:
        page.next_cursor = cursor_of(shown[-1], keys, number + 1).text()
    _link_back(page, shown, keys)
    return page


def before(queryset: QuerySet, keys: list[Key], cursor: Cursor, per_page: int) -> KeysetPage:
    """The page ending just before the cursor. If fewer than a page's worth of rows come before it
    (reports withdrawn meanwhile), it is the first page, and the first page is shown."""
    rows = list(_past(queryset, keys, cursor, forward=False).order_by(*_reversed(keys))[: per_page + 1])
    if len(rows) <= per_page or cursor.number <= 1:
        return first_page(queryset, keys, per_page)
    shown = rows[:per_page][::-1]
    page = KeysetPage(shown, cursor.number, counted(queryset))
    page.next_cursor = cursor_of(shown[-1], keys, cursor.number + 1).text()
    _link_back(page, shown, keys)
    return page


def _link_back(page: KeysetPage, shown: list, keys: list[Key]) -> None:
    if page.number <= 1 or not shown:
        return
    if page.number == 2:
        page.previous_is_first = True  # page 1 is the list's own address, shared by everyone
    else:
        page.previous_cursor = cursor_of(shown[0], keys, page.number - 1).text()


def numbered(queryset: QuerySet, per_page: int, number) -> Page:
    """A numbered page within the capped count (``Paginator.get_page``: a bad or too large number
    gives the first or the last page)."""
    return CappedPaginator(queryset, per_page).get_page(number)


def cursor_links_for(page: Page, keys: list[Key]) -> KeysetPage:
    """A numbered page (an old ``?page=N`` link) as a keyset page, so its links lead on by cursor."""
    shown = list(page.object_list)
    keyset_page = KeysetPage(shown, page.number, Counted(page.paginator.count, page.paginator.more_than_cap))
    if shown and (page.has_next() or page.paginator.more_than_cap):
        keyset_page.next_cursor = cursor_of(shown[-1], keys, page.number + 1).text()
    _link_back(keyset_page, shown, keys)
    return keyset_page


def web_page(query, queryset: QuerySet, per_page: int):
    """The page a web list shows for its query string: a keyset page, or a numbered one for a ranked
    search. An unreadable cursor shows the first page (a stale or mangled link still lands)."""
    keys = keys_of(queryset)
    if keys is None:
        return numbered(queryset, per_page, query.get("page"))
    try:
        if query.get("after"):
            return after(queryset, keys, read_cursor(query["after"], queryset, keys), per_page)
        if query.get("before"):
            return before(queryset, keys, read_cursor(query["before"], queryset, keys), per_page)
    except CursorError:
        return first_page(queryset, keys, per_page)
    if query.get("page") not in (None, "", "1"):
        return cursor_links_for(numbered(queryset, per_page, query.get("page")), keys)
    return first_page(queryset, keys, per_page)
