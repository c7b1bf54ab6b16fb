"""Finding a business's customers, jobs and promises by what someone typed.

The text index answers "which rows have words starting with these", across every
business; the query joins that to the source table on its primary key and keeps only the
signed-in business's rows, so a search never sees another tenant's row. It stops at
`candidates(limit)` matches (no ranking pass over thousands of rows while someone
types); the few shown are ordered in Python: names that start with what was typed first,
then A to Z. More matches than that means more words are needed, and the page says so.
"""

from dataclasses import dataclass, field

from django.db import connection

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement
from followthrough.search import schema
from followthrough.search.query import Terms, terms

CANDIDATES = 200


def candidates(limit: int) -> int:
    """How many matches to read to show the best `limit`: enough to find the names that
    start with the words among them, few enough that loading them is cheap."""
    return min(CANDIDATES, max(limit * 8, 32))


def matching_ids(kind: schema.Kind, business_id: int, found: Terms, limit: int) -> list[int]:
    """Ids of the business's rows of `kind` that match, at most `limit`, in no order."""
    if not found:
        return []
    if connection.vendor == "sqlite":
        # Table names and the expression come from schema.py; the text is a parameter.
        sql = (f"SELECT src.id FROM {kind.fts} JOIN {kind.table} AS src "  # noqa: S608
               f"ON src.id = {kind.fts}.rowid WHERE {kind.fts} MATCH %s "
               f"AND src.business_id = %s LIMIT %s")
        params = [found.fts5(), business_id, limit]
    elif connection.vendor == "postgresql":
        # `business_id + 0`: never walk the business's rows computing each one's words
        # until enough match (a full pass over a large business when few do); the GIN
        # index finds the matches, and the business is a filter on those.
        sql = (f"SELECT id FROM {kind.table} WHERE business_id + 0 = %s "  # noqa: S608
               f"AND {schema.document(kind)} @@ to_tsquery('simple'::regconfig, %s) LIMIT %s")
        params = [business_id, found.tsquery(), limit]
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
        raise NotImplementedError(
            f"Search runs on SQLite and PostgreSQL; this database is {connection.vendor}.")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# What a result shows (templates/search/): the rest of each row stays in the database.
CUSTOMER_SHOWN = ("business_id", "public_id", "name", "email", "phone")
JOB_SHOWN = ("business_id", "public_id", "description", "kind", "won_at", "started_at",
             "delivered_at", "closed_at", "cancelled_at", "customer__name",
             "customer__public_id")
PROMISE_SHOWN = ("business_id", "public_id", "what", "due_on", "status", "customer__name",
                 "customer__public_id")


def _first(text: str, words: tuple[str, ...]) -> bool:
    return bool(words) and (text or "").casefold().startswith(words[0])


def find_customers(business, text: str, limit: int = 8) -> list[Customer]:
    found = terms(text)
    ids = matching_ids(schema.CUSTOMERS, business.pk, found, candidates(limit))
    rows = Customer.objects.filter(business=business, pk__in=ids).only(*CUSTOMER_SHOWN)
    return sorted(rows, key=lambda c: (not _first(c.name, found.words), c.name.casefold(),
                                       c.pk))[:limit]


def find_jobs(business, text: str, limit: int = 8) -> list[Engagement]:
    found = terms(text)
    ids = matching_ids(schema.JOBS, business.pk, found, candidates(limit))
    rows = (Engagement.objects.filter(business=business, pk__in=ids)
            .select_related("customer").only(*JOB_SHOWN))
    return sorted(rows, key=lambda e: (not _first(e.description, found.words),
                                       -e.won_at.timestamp(), e.pk))[:limit]


def find_promises(business, text: str, limit: int = 8) -> list[Promise]:
    found = terms(text)
    ids = matching_ids(schema.PROMISES, business.pk, found, candidates(limit))
    rows = (Promise.objects.filter(business=business, pk__in=ids).select_related("customer")
            .only(*PROMISE_SHOWN))
    return sorted(rows, key=lambda p: (p.status != Promise.OPEN, p.due_on, p.pk))[:limit]


@dataclass
class Results:
    text: str
    customers: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    promises: list = field(default_factory=list)
    limit: int = 0

    @property
    def searched(self) -> bool:
        return bool(terms(self.text))

    @property
    def count(self) -> int:
        return len(self.customers) + len(self.jobs) + len(self.promises)

    @property
    def more(self) -> bool:
        """Whether some group was cut off at the limit."""
        return any(len(group) >= self.limit for group in (self.customers, self.jobs,
                                                          self.promises))


def search(business, text: str, limit: int = 5) -> Results:
    """Customers, jobs and promises of `business` matching `text`, up to `limit` of each."""
    results = Results(text=text, limit=limit)
    if results.searched:
        results.customers = find_customers(business, text, limit)
        results.jobs = find_jobs(business, text, limit)
        results.promises = find_promises(business, text, limit)
    return results
