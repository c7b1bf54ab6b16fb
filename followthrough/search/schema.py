"""The text indexes search reads, in each database's own words.

SQLite: one contentless FTS5 table per kind (customers, jobs, promises), filled by triggers
on the source table, so every write reaches it: forms, the API, imports, `bulk_create`,
raw `executemany`, cascades and erasure alike. Contentless means the text is not stored a
second time; the table only answers "which rowids match".

PostgreSQL: a GIN index on a `tsvector` expression of each source table. The query repeats
the very same expression (`document()`), which is how PostgreSQL knows to use the index.

Both sides index the same words: text is split on anything that is not a letter or a
digit (so an email address is its parts: "maria.lopez@example.com" is maria, lopez,
example, com), and a phone number is indexed as every tail of its digits of three or more,
so a prefix search for any run of digits finds it ("7946" in +44 20 7946 0958).

Changing anything here changes what the indexes hold: it needs a new migration that drops
and rebuilds them (see migrations/0001_text_index.py)."""

# Every name and expression in this SQL is one of the constants below, never typed text,
# hence the S608 waivers.
from dataclasses import dataclass

# Phone numbers up to 32 characters: their digit tails start at positions 1..30.
_POSITIONS = "[" + ",".join(str(n) for n in range(1, 31)) + "]"
_STRIPPED = "+ -().,/#*"


def _sqlite_digits(column: str) -> str:
    expression = f"coalesce({column}, '')"
    for char in _STRIPPED:
        expression = f"replace({expression}, '{char}', '')"
    return expression


def _sqlite_tails(column: str) -> str:
    """Every tail of the digits of `column` with 3 or more digits, space-separated. A
    subquery over json_each, because a trigger can run neither a CTE nor Python."""
    return (f"(SELECT coalesce(group_concat(substr(d, p.value), ' '), '') FROM "  # noqa: S608
            f"(SELECT {_sqlite_digits(column)} AS d) AS digits, json_each('{_POSITIONS}') AS p "
            f"WHERE p.value <= length(d) - 2)")


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    words: tuple[str, ...]  # text columns, indexed as words
    phone: str = ""  # a phone column, indexed as digit tails

    @property
    def fts(self) -> str:
        return f"search_{self.name}_fts"

    @property
    def columns(self) -> tuple[str, ...]:
        return self.words + ((self.phone,) if self.phone else ())


CUSTOMERS = Kind("customer", "customers_customer", ("name", "email", "external_id"), "phone")
JOBS = Kind("engagement", "customers_engagement", ("description", "kind", "external_id"))
PROMISES = Kind("promise", "agenda_promise", ("what",))
KINDS = (CUSTOMERS, JOBS, PROMISES)

TOKENIZER = "unicode61 remove_diacritics 2"


def _sqlite_values(kind: Kind, row: str) -> str:
    values = [f"coalesce({row}.{c}, '')" for c in kind.words]
    if kind.phone:
        values.append(_sqlite_tails(f"{row}.{kind.phone}"))
    return ", ".join(values)


def sqlite_create(kind: Kind) -> list[str]:
    columns = ", ".join(kind.columns)
    fill = _sqlite_values(kind, "src")
    delete = (f"INSERT INTO {kind.fts}({kind.fts}, rowid, {columns}) "  # noqa: S608
              f"VALUES ('delete', old.id, {_sqlite_values(kind, 'old')});")
    insert = (f"INSERT INTO {kind.fts}(rowid, {columns}) "  # noqa: S608
              f"VALUES (new.id, {_sqlite_values(kind, 'new')});")
    watched = ", ".join(kind.columns)
    return [
        # prefix='2 3': the short prefixes people type first are answered from the index.
        f"CREATE VIRTUAL TABLE {kind.fts} USING fts5({columns}, content='', "
        f"tokenize='{TOKENIZER}', prefix='2 3')",
        f"INSERT INTO {kind.fts}(rowid, {columns}) "  # noqa: S608
        f"SELECT src.id, {fill} FROM {kind.table} AS src",
        f"CREATE TRIGGER {kind.fts}_insert AFTER INSERT ON {kind.table} BEGIN {insert} END",
        f"CREATE TRIGGER {kind.fts}_delete AFTER DELETE ON {kind.table} BEGIN {delete} END",
        # Only when an indexed column is written: Django's save() writes every column, a
        # queryset .update(updated_at=...) does not and costs nothing here.
        f"CREATE TRIGGER {kind.fts}_update AFTER UPDATE OF {watched} ON {kind.table} "
        f"BEGIN {delete} {insert} END",
    ]


def sqlite_drop(kind: Kind) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {kind.fts}_{what}" for what in ("insert", "delete", "update")
            ] + [f"DROP TABLE IF EXISTS {kind.fts}"]


# PostgreSQL. Every function here is IMMUTABLE, as an index expression must be.
PG_TAILS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION search_digit_tails(phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(substr(d, i), ' ' ORDER BY i), '')
  FROM (SELECT regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') AS d) AS digits,
       generate_series(1, length(d) - 2) AS i
$$
"""


def document(kind: Kind, alias: str = "") -> str:
    """The tsvector of one row: the index expression, and what a query must repeat."""
    prefix = f"{alias}." if alias else ""
    words = " || ' ' || ".join(f"coalesce({prefix}{c}, '')" for c in kind.words)
    text = f"regexp_replace({words}, '[^[:alnum:]]+', ' ', 'g')"
    if kind.phone:
        text = f"{text} || ' ' || search_digit_tails({prefix}{kind.phone})"
    return f"to_tsvector('simple'::regconfig, {text})"


def pg_index(kind: Kind) -> str:
    return f"search_{kind.name}_text"


def pg_create(kind: Kind) -> list[str]:
    return [f"CREATE INDEX {pg_index(kind)} ON {kind.table} USING gin (({document(kind)}))"]


def pg_drop(kind: Kind) -> list[str]:
    return [f"DROP INDEX IF EXISTS {pg_index(kind)}"]


def _statements(vendor: str, create: bool) -> list[str]:
    if vendor == "sqlite":
        make = sqlite_create if create else sqlite_drop
        return [sql for kind in KINDS for sql in make(kind)]
    if vendor == "postgresql":
        if create:
            return [PG_TAILS_FUNCTION] + [sql for kind in KINDS for sql in pg_create(kind)]
        return ([sql for kind in KINDS for sql in pg_drop(kind)]
                + ["DROP FUNCTION IF EXISTS search_digit_tails(text)"])
    return []


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=False):
            cursor.execute(sql)


def install(connection) -> None:
    """(Re)build every index from the rows as they are now."""
    uninstall(connection)
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=True):
            cursor.execute(sql)


def _expected(connection) -> set[str]:
    if connection.vendor == "sqlite":
        return {f"{k.fts}_{what}" for k in KINDS for what in ("insert", "delete", "update")}
    if connection.vendor == "postgresql":
        return {pg_index(k) for k in KINDS}
    return set()


def _present(connection) -> set[str]:
    sql = {"sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
           "postgresql": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"}
    with connection.cursor() as cursor:
        cursor.execute(sql[connection.vendor])
        return {row[0] for row in cursor.fetchall()}


def missing(connection) -> set[str]:
    """The triggers (SQLite) or indexes (PostgreSQL) that should be there and are not."""
    expected = _expected(connection)
    return expected - _present(connection) if expected else set()


def repair(connection) -> bool:
    """Rebuild the indexes when a piece is gone, and say whether it did. SQLite drops a
    table's triggers with the table, and Django's SQLite migrations rebuild a table to alter
    it (copy, drop, rename): after such a migration of customers, the index would stop
    following the rows without a word. This runs after every `migrate`."""
    from django.db.migrations.recorder import MigrationRecorder

    tables = set(connection.introspection.table_names())
    if not missing(connection) or not all(k.table in tables for k in KINDS):
        return False
    # Only while the migration that made the index stands: after `migrate search zero`
    # the index is meant to be gone.
    if ("search", "0001_text_index") not in MigrationRecorder(connection).applied_migrations():
        return False
    install(connection)
    return True
