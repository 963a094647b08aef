"""Case-insensitive "contains" in any alphabet, SQLite included.

SQLite's LIKE (what `icontains` becomes there) folds only ASCII letters: "dust" finds "DUST", but
"шаңтозаң" does not find "ШАҢТОЗАҢ". On SQLite, each connection gets a `kzcn_casefold()` SQL
function backed by Python's `str.casefold`, and both sides of the comparison are casefolded.
PostgreSQL folds Unicode in `icontains` (UPPER) already, so there it stays `icontains`.
"""

from django.db import connection as default_connection
from django.db.backends.signals import connection_created
from django.db.models import CharField, Q, TextField, Transform

SQL_FUNCTION = "kzcn_casefold"


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value


def register(connection) -> None:
    """Give a SQLite connection the casefold function (once per underlying connection)."""
    raw = connection.connection
    if connection.vendor != "sqlite" or raw is None or getattr(connection, "_kzcn_casefold_on", None) is raw:
        return
    raw.create_function(SQL_FUNCTION, 1, _casefold, deterministic=True)
    connection._kzcn_casefold_on = raw


def _on_connection_created(sender, connection, **kwargs) -> None:
    register(connection)


connection_created.connect(_on_connection_created, dispatch_uid="kzcn.casefold")


class Casefold(Transform):
    """`field__casefold`: the text casefolded (SQLite only; other databases lower-case it)."""

    lookup_name = "casefold"
    function = "LOWER"

    def as_sqlite(self, compiler, connection, **extra_context):
        # A connection opened before this module was imported never saw the signal above.
        connection.ensure_connection()
        register(connection)
        return self.as_sql(compiler, connection, function=SQL_FUNCTION, **extra_context)


CharField.register_lookup(Casefold)
TextField.register_lookup(Casefold)


def contains_text(field: str, text: str) -> Q:
    """Rows whose `field` (a lookup path) contains `text`, ignoring case in any alphabet."""
    if default_connection.vendor == "sqlite":
        return Q(**{f"{field}__casefold__contains": text.casefold()})
    return Q(**{f"{field}__icontains": text})
