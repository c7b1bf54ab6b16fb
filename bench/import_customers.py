"""Import benchmark: `followthrough import` of 100,000 customers from a CSV file, against
raw sqlite3 reading the same CSV with the csv module and inserting the same rows with one
executemany into an IDENTICAL customers table.

Both start from the same bytes in memory and both parse them. The project also sniffs the
delimiter, checks every row (email syntax, phone to E.164, lengths), looks for existing
customers by id and email, and writes in chunks of `imports.CHUNK` rows, one transaction
each. The baseline inserts the cells as they are, in one transaction, with the project's
PRAGMAs (WAL, synchronous=NORMAL).

Why the baseline table is identical (as in bench/planning.py): the table and every one of
its indexes are copied from the schema Django created (sqlite_master), so both sides pay for
index maintenance, including the unique index on the random `public_id` and search's text
index with the triggers that fill it. Comparing against
a bare table would compare index maintenance against none, which no real import can avoid.
The baseline inserts the very public ids the project generated (read back, not timed), so
it does not even pay for generating random ids; it is, if anything, favoured.

    .venv/bin/python -c "import bench.import_customers as b; print(b.run(5000))"
"""

import contextlib
import csv
import io
import os
import sqlite3
import tempfile
import time
from pathlib import Path

GOAL = 0.2

INSERT = (
    "INSERT INTO customers_customer (business_id, public_id, external_id, name, email, "
    "phone, postal_address, tags, preferred_channel, notes, defining_moment, timezone, "
    "marketing_hold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'email', '', "
    "'', '', 0, '2025-01-01', '2025-01-01')"
)


def make_csv(scale: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    # One customer in five has a phone, as in a typical shop export; each is different.
    writer.writerow(["Customer ID", "First Name", "Last Name", "Email", "Phone", "City",
                     "Tags"])
    for n in range(scale):
        writer.writerow([f"c-{n}", f"Ada{n}", "Lovelace", f"ada{n}@example.com",
                         f"+1212{2000000 + n:07d}" if n % 5 == 0 else "", "Hudson", "vip"])
    return out.getvalue().encode()


def run(scale: int = int(os.environ.get("BENCH_IMPORT_CUSTOMERS", 100_000))) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    from bench.django_setup import setup

    project_path = folder / "project.sqlite3"
    setup(project_path)
    from django.db import connection

    from followthrough.customers.models import Customer
    from followthrough.integrations.imports import import_file
    from followthrough.tenants.models import Business

    data = make_csv(scale)
    business = Business.objects.create(slug="bench", name="Bench", timezone="America/New_York",
                                       phone="+12125550100")
    started = time.perf_counter()
    result = import_file(business, data, "customers.csv")
    project_seconds = time.perf_counter() - started
    assert result.created == scale and not result.errors, (result.created, result.errors[:3])
    assert Customer.objects.filter(business=business).count() == scale
    connection.close()
    table_sql, public_ids = _schema_and_ids(project_path)
    baseline_seconds = _time_baseline(folder / "baseline.sqlite3", table_sql, data, public_ids)
    return {
        "name": "import_customers",
        "customers": scale,
        "project_seconds": round(project_seconds, 2),
        "baseline_seconds": round(baseline_seconds, 2),
        "project_rows_per_s": round(scale / project_seconds),
        "baseline_rows_per_s": round(scale / baseline_seconds),
        "ratio": round(baseline_seconds / project_seconds, 3),
        "goal": f">= {GOAL}",
    }


def _schema_and_ids(path: Path) -> tuple[list[str], list[str]]:
    """The SQL that created the customers table and its indexes, and the public ids the
    project gave the imported rows, in file order."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        # The table, its indexes, then search's text index and the triggers that fill
        # it (search/schema.py): the baseline's inserts keep the index too.
        sql = [row[0] for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND (tbl_name = 'customers_customer' OR name = 'search_customer_fts') "
            "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END"
        )]
        ids = [row[0] for row in db.execute(
            "SELECT public_id FROM customers_customer ORDER BY id")]
    assert any(s.lstrip().upper().startswith("CREATE UNIQUE INDEX") or "UNIQUE" in s
               for s in sql[1:]), "expected the table's indexes to be copied"
    return sql, ids


def _time_baseline(path: Path, table_sql: list[str], data: bytes,
                   public_ids: list[str]) -> float:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in table_sql:
            db.execute(statement)
        started = time.perf_counter()
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        next(reader)
        rows = [(1, public_id, ext, f"{first} {last}", email, phone, city, tags)
                for public_id, (ext, first, last, email, phone, city, tags)
                in zip(public_ids, reader, strict=True)]
        db.execute("BEGIN")
        db.executemany(INSERT, rows)
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
    os.remove(path)
    return seconds


if __name__ == "__main__":
    print(run())
