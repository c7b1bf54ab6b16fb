"""Search reads the text index, never the whole table: the FTS5 table on SQLite, the GIN
index on PostgreSQL. Plans come from statistics, not timing: one large business and two
small ones, ANALYZEd."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followthrough.customers.models import Customer
from followthrough.search import backend, schema
from followthrough.tenants.models import Business

SIZES = (2000, 30, 30)


@pytest.fixture
def seeded(db):
    businesses = Business.objects.bulk_create(
        Business(slug=f"plan-{n}", name=f"Plan {n}", timezone="Europe/London")
        for n in range(len(SIZES)))
    Customer.objects.bulk_create(
        Customer(business=b, name=f"Person{n} Surname{n % 97}", email=f"p{n}@example.com",
                 phone=f"+1518555{n:04d}")
        for b, size in zip(businesses, SIZES, strict=True) for n in range(size))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return businesses


def plans(run) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    found = [q["sql"] for q in captured.captured_queries if "MATCH" in q["sql"]
             or "to_tsquery" in q["sql"]]
    assert found, "the search ran no text query"
    out = []
    with connection.cursor() as cursor:
        for sql in found:
            if connection.vendor == "postgresql":
                # Price sequential scans out, as tests/test_query_plans.py does: the test
                # table is small, and what matters is that the index CAN answer.
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN " + sql)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
            out.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
    return out


@pytest.mark.parametrize("typed", ["person1", "surname4", "p12@example", "555 0012"])
def test_it_reads_the_text_index(seeded, typed):
    for plan in plans(lambda: backend.find_customers(seeded[0], typed)):
        if connection.vendor == "sqlite":
            assert f"{schema.CUSTOMERS.fts} VIRTUAL TABLE" in plan, plan
            assert "SCAN customers_customer" not in plan.replace(" AS src", ""), plan
            assert "SEARCH src USING" in plan and "rowid=?" in plan, plan
        else:
            assert f"Bitmap Index Scan on {schema.pg_index(schema.CUSTOMERS)}" in plan, plan
            assert "Seq Scan" not in plan, plan


def test_it_reads_the_jobs_and_promises_indexes_too(seeded):
    for find, kind in ((backend.find_jobs, schema.JOBS),
                       (backend.find_promises, schema.PROMISES)):
        for plan in plans(lambda find=find: find(seeded[0], "boiler")):
            if connection.vendor == "sqlite":
                assert f"{kind.fts} VIRTUAL TABLE" in plan, plan
            else:
                assert f"Index Scan on {schema.pg_index(kind)}" in plan, plan
