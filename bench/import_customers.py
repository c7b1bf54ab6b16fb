"""Import benchmark: `followthrough import` of 100,000 customers from a CSV file, against
raw sqlite3 reading the same CSV with the csv module and inserting the same rows with one
executemany into an identical customers table.

Both start from the same bytes in memory and both parse them. The project also sniffs the
delimiter, checks every row (email syntax, phone to E.164, lengths), looks for existing
customers by id and email, and writes in chunks of 2,000 rows, one transaction each. The
baseline inserts the cells as they are, in one transaction, with the project's PRAGMAs.

    .venv/bin/python -c "import bench.import_customers as b; print(b.run(5000))"
"""

import csv
import io
import sqlite3
import tempfile
import time
from pathlib import Path

GOAL = 0.2


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


def run(scale: int = 100_000) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    from bench.django_setup import setup

    setup(folder / "project.sqlite3")
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'customers_customer'")
        table_sql = cursor.fetchone()[0]

    baseline = sqlite3.connect(folder / "baseline.sqlite3", isolation_level=None)
    baseline.execute("PRAGMA journal_mode=WAL")
    baseline.execute("PRAGMA synchronous=NORMAL")
    baseline.execute(table_sql)
    started = time.perf_counter()
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader)
    rows = [(1, f"p{n}", ext, f"{first} {last}", email, phone, city, tags)
            for n, (ext, first, last, email, phone, city, tags) in enumerate(reader)]
    baseline.execute("BEGIN")
    baseline.executemany(
        "INSERT INTO customers_customer (business_id, public_id, external_id, name, email, "
        "phone, postal_address, tags, preferred_channel, notes, defining_moment, timezone, "
        "marketing_hold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'email', '', "
        "'', '', 0, '2025-01-01', '2025-01-01')", rows)
    baseline.execute("COMMIT")
    baseline_seconds = time.perf_counter() - started
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


if __name__ == "__main__":
    print(run())
