"""The hot queries read their rows through indexes, on SQLite and on PostgreSQL.

Each test runs a real code path (the worker's claim, an idle worker pass, Today, Insights
for every period, the survey page, the API lists) under CaptureQueriesContext, asks the
database for the plan of every SELECT, UPDATE and DELETE it ran (EXPLAIN QUERY PLAN on
SQLite, EXPLAIN on PostgreSQL) and fails when a plan reads the whole touchpoint, customer
or engagement table: a scan of the table, or of a full (not partial) index with no bound.

A search bounded only by the business (`business_id=?`) through an index that does not
cover the query, in a statement without LIMIT, counts as a scan too: the tests'
business holds most of the rows, as the one business of a plumber's install holds all of
them, so such a search visits every row of the table.

The plans depend on statistics, not on timing: the tables are seeded with one large
business and three small ones, and ANALYZE runs before any plan is read. On PostgreSQL
sequential scans are priced out while EXPLAIN runs (see _postgres_scans for why).

This is the check that would have caught dad9c22: on SQLite that migration rebuilt the
touchpoint table and lost the Insights indexes, and the page walked the table."""

import datetime as dt
import json
import re

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.api.models import ApiKey
from followthrough.customers.models import Customer, Engagement
from followthrough.insights import metrics, rollup
from followthrough.insights.metrics import PERIODS
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Business, Membership
from followthrough.touchpoints import claiming, worker
from followthrough.touchpoints.models import Touchpoint
from tests.conftest import make_member

WATCHED = ("touchpoints_touchpoint", "customers_customer", "customers_engagement",
           "insights_stagetouch")
CUSTOMERS = (1000, 50, 50, 50)  # per business; the first is the one the tests look at
TOUCHES = 8  # per engagement; every fifth customer has a second engagement
ELEMENTS = ("check_in", "feedback", "thank_you", "social_invite", "subscribe_invite",
            "review", "referral", "maintenance", "progress_update", "other")
PAST = ("sent", "sent", "done", "skipped", "missed", "sent", "failed", "done")
CHANNELS = ("email", "email", "call", "email", "card", "sms")


def seed(now: dt.datetime) -> Business:
    businesses = Business.objects.bulk_create(
        Business(slug=f"plans-{n}", name=f"Plans {n}", timezone="Europe/London")
        for n in range(len(CUSTOMERS)))
    customers = Customer.objects.bulk_create(
        Customer(business=b, name=f"Customer {b.pk}-{n}", email=f"c{b.pk}-{n}@example.com",
                 created_at=now, updated_at=now)
        for b, size in zip(businesses, CUSTOMERS, strict=True) for n in range(size))
    for n, c in enumerate(customers):  # stamped in the past, not at "now"
        c.created_at = c.updated_at = now - dt.timedelta(days=400 + n % 300)
    Customer.objects.bulk_update(customers, ["created_at", "updated_at"], batch_size=500)
    engagements = Engagement.objects.bulk_create(
        Engagement(business_id=c.business_id, customer=c, kind="Job",
                   won_at=now - dt.timedelta(days=(n * 7 + extra * 90) % 700 + 2),
                   delivered_at=now - dt.timedelta(days=(n * 7 + extra * 90) % 700)
                   if n % 10 else None)
        for n, c in enumerate(customers) for extra in range(1 + (n % 5 == 0)))
    Touchpoint.objects.bulk_create(
        (touch(e, n, k, now) for n, e in enumerate(engagements) for k in range(TOUCHES)),
        batch_size=500)
    # Nothing changed in the last minute, as in a business that has run for a while.
    Engagement.objects.update(created_at=F("won_at"))
    Touchpoint.objects.update(updated_at=now - dt.timedelta(days=2))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return businesses[0]


def touch(e: Engagement, n: int, k: int, now: dt.datetime) -> Touchpoint:
    due = e.won_at + dt.timedelta(days=k * 30 + 1, hours=n % 9)
    status = "planned" if due > now else PAST[(n + k) % len(PAST)]
    return Touchpoint(
        business_id=e.business_id, engagement=e, customer_id=e.customer_id,
        idempotency_key=f"plans:{e.pk}:{k}", name="Step", channel=CHANNELS[(n + k) % 6],
        stage=1 + k % 4, element=ELEMENTS[(n + k) % len(ELEMENTS)], purpose=v.RELATIONSHIP,
        status=status, due_at=due, local_date=due.date(), local_time=due.time(),
        completed_at=due if status in ("sent", "done") else None, origin="playbook_step",
    )


# ---------------------------------------------------------------------------- the check

# Statements that must read every row of one business whatever the plan, so the planner's
# choice between the table and an index is its own business.
WHOLE_BUSINESS = {
    # The health summary's "of N customers" (insights.rollup.health_summary).
    re.compile(r'SELECT COUNT\(\*\) AS "__count" FROM "customers_customer" '
               r'WHERE "customers_customer"."business_id" = \d+'),
}


def full_scans(queries) -> list[str]:
    """Each statement whose plan reads a whole watched table, with the plan."""
    found = []
    for sql in {q["sql"] for q in queries}:
        if not re.match(r"\s*(SELECT|UPDATE|DELETE)\b", sql, re.IGNORECASE):
            continue
        if any(pattern.fullmatch(sql) for pattern in WHOLE_BUSINESS):
            continue
        bad = (_sqlite_scans if connection.vendor == "sqlite" else _postgres_scans)(sql)
        if bad:
            found.append(f"{sql}\n    -> {'; '.join(bad)}")
    return found


def _sqlite_scans(sql: str) -> list[str]:
    aliases = {alias: table for table, alias in re.findall(r'"(\w+)" (U\d+|T\d+)\b', sql)}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        details = [row[-1] for row in cursor.fetchall()]
    limited = re.search(r"\bLIMIT \d+", sql) is not None
    bad = []
    for detail in details:
        scan = re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
        whole_business = re.match(r"SEARCH (\w+) USING INDEX \w+ \(business_id=\?\)$", detail)
        if scan:
            table = aliases.get(scan.group(1), scan.group(1))
            if table in WATCHED and scan.group(2) not in _partial_indexes():
                bad.append(detail)
        elif whole_business and not limited:
            if aliases.get(whole_business.group(1), whole_business.group(1)) in WATCHED:
                bad.append(detail)
    return bad


def _postgres_scans(sql: str) -> list[str]:
    # A test cannot seed millions of rows, and on tables of a few thousand PostgreSQL
    # rightly prefers a sequential scan, or a hash or merge join over whole tables, to any
    # index. With those priced out (joins become nested loops, which find each row through
    # an index on the join key when there is one), a scan of a whole table left in the plan
    # means no index can answer the statement: exactly the regression this looks for.
    off = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")
    with connection.cursor() as cursor:
        for setting in off:
            cursor.execute(f"SET {setting} = off")
        try:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        finally:
            for setting in off:
                cursor.execute(f"RESET {setting}")
    if isinstance(plan, str):
        plan = json.loads(plan)
    limited = re.search(r"\bLIMIT \d+", sql) is not None
    bad = []

    tables = _index_tables()

    def walk(node):
        kind = node["Node Type"]
        table = node.get("Relation Name") or tables.get(node.get("Index Name"))
        if table in WATCHED:
            # An index walked in order under a LIMIT stops after a page of rows.
            unbounded = (kind in ("Index Scan", "Index Only Scan") and not limited
                         and "Index Cond" not in node
                         and node.get("Index Name") not in _partial_indexes())
            # Every row of the business through an index that does not cover the query.
            whole_business = (kind in ("Index Scan", "Bitmap Index Scan") and not limited
                              and re.fullmatch(r"\(business_id = \d+\)",
                                               node.get("Index Cond", "")) is not None)
            if kind == "Seq Scan" or unbounded or whole_business:
                bad.append(f"{kind} on {table} {node.get('Index Cond', '')}".strip())
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return bad


def _index_tables() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, tablename FROM pg_indexes")
        return dict(cursor.fetchall())


def _partial_indexes() -> set[str]:
    """Indexes with a WHERE: reading all of one reads only the rows it was made for."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                           "AND sql LIKE '% WHERE %'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '% WHERE %'")
        return {row[0] for row in cursor.fetchall()}


def sorted_after_reading(sql: str) -> list[str]:
    """The steps of a statement's plan that sort a watched table's rows after reading
    them (SQLite's temp B-tree for ORDER BY, PostgreSQL's Sort), instead of reading them
    in order from an index and stopping at the LIMIT."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return [r[-1] for r in cursor.fetchall() if "TEMP B-TREE FOR ORDER BY" in r[-1]]
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("RESET enable_seqscan")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found = []

    def walk(node):
        if node["Node Type"] == "Sort":
            found.append(f"Sort by {node.get('Sort Key')}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def sqlite_plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return [row[-1] for row in cursor.fetchall()]


def assert_indexed(captured) -> None:
    assert len(captured.captured_queries) > 0
    scans = full_scans(captured.captured_queries)
    assert not scans, "Full scans:\n" + "\n\n".join(scans)


# ---------------------------------------------------------------------------- the paths

class QueryPlans(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.now = timezone.now()
        cls.business = seed(cls.now)
        install_builtin_playbooks(cls.business)
        cls.owner = make_member(cls.business, "owner@plans.example", Membership.OWNER)

    def setUp(self):
        cache.clear()
        self.client.force_login(self.owner)

    def capture(self, fn):
        with CaptureQueriesContext(connection) as captured:
            fn()
        return captured

    def get(self, path, **headers):
        response = self.client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)

    def test_it_claims_due_rows_through_an_index(self):
        due = Touchpoint.objects.filter(business=self.business, status="planned",
                                        channel="email").order_by("due_at")[:5]
        Touchpoint.objects.filter(pk__in=list(due.values_list("pk", flat=True))).update(
            due_at=self.now - dt.timedelta(minutes=1))
        captured = self.capture(lambda: claiming.claim(self.now, 50))
        assert Touchpoint.objects.filter(status="sending").count() == 5
        assert_indexed(captured)

    def test_it_ticks_idle_through_indexes(self):
        for business in Business.objects.all():  # first builds are not the idle tick
            rollup.refresh(business)
        captured = self.capture(lambda: worker.run_once(now=self.now))
        assert_indexed(captured)

    def test_it_draws_today_through_indexes(self):
        assert_indexed(self.capture(lambda: self.get("/today/")))

    def test_it_draws_insights_for_every_period_through_indexes(self):
        rollup.refresh(self.business)
        Touchpoint.objects.filter(business=self.business, status="sent").filter(
            pk=Touchpoint.objects.filter(business=self.business, status="sent")
            .order_by("pk").values("pk")[:1]).update(updated_at=timezone.now())
        for key in PERIODS:
            cache.clear()
            with self.subTest(period=key):
                assert_indexed(self.capture(lambda k=key: self.get(f"/insights/?period={k}")))

    def test_it_reads_the_monthly_trend_through_the_index(self):
        # PostgreSQL hashes the rows into their months in one grouped statement
        # (rollup._months_by_case); SQLite sorted them, so there it sums each month's range
        # of the covering index.
        rollup.refresh(self.business)
        captured = self.capture(lambda: rollup.delta_trend(self.business,
                                                           metrics.period("all")))
        if connection.vendor != "sqlite":
            assert not [q for q in captured.captured_queries if "UNION ALL" in q["sql"]]
            assert_indexed(captured)
            return
        (sql,) = [q["sql"] for q in captured.captured_queries if "UNION ALL" in q["sql"]]
        plan = sqlite_plan(sql)
        searches = [d for d in plan if d.startswith("SEARCH")]
        assert len(searches) == sql.count("UNION ALL") + 1, plan
        assert all("COVERING INDEX insights_engagement_due" in d for d in searches), plan
        assert not [d for d in plan if "TEMP B-TREE" in d], plan

    def test_it_counts_all_time_repeat_customers_without_a_distinct_count(self):
        rollup.refresh(self.business)
        captured = self.capture(lambda: rollup.repeat_purchase(self.business,
                                                               metrics.period("all")))
        (sql,) = [q["sql"] for q in captured.captured_queries]
        assert "DISTINCT" not in sql
        if connection.vendor == "sqlite":
            plan = sqlite_plan(sql)
            assert [d for d in plan if "COVERING INDEX" in d] == plan, plan

    def test_it_serves_the_survey_page_through_an_index(self):
        token = Touchpoint.objects.filter(business=self.business, element="feedback",
                                          status="sent").values_list("link_token",
                                                                     flat=True)[0]
        assert_indexed(self.capture(lambda: self.get(f"/s/{token}")))

    def test_it_lists_through_the_api_with_indexes(self):
        key = ApiKey.issue(self.business, "Plans")[1]
        customer = Customer.objects.filter(business=self.business).first()
        for path in ("customers", "engagements", "touchpoints",
                     f"touchpoints?customer={customer.public_id}",
                     "touchpoints?status=planned"):
            with self.subTest(path=path):
                captured = self.capture(lambda p=path: self.get(
                    f"/api/v1/{p}", Authorization=f"Bearer {key}"))
                assert_indexed(captured)

    def test_it_pages_the_api_touchpoint_list_in_due_order_from_an_index(self):
        key = ApiKey.issue(self.business, "Plans")[1]
        captured = self.capture(lambda: self.get("/api/v1/touchpoints",
                                                 Authorization=f"Bearer {key}"))
        listed = [q["sql"] for q in captured.captured_queries
                  if 'FROM "touchpoints_touchpoint"' in q["sql"] and "ORDER BY" in q["sql"]]
        assert listed
        for sql in listed:
            assert not sorted_after_reading(sql), sql
