"""Planning benchmark: plan and insert the touchpoints of `scale` new engagements through
`touchpoints.planning.plan_new_engagements`, against raw sqlite3 `executemany` of the very
same rows into an identical table.

Database set-up: a fresh temporary directory holds two SQLite files, the project's and the
baseline's. If Django is not configured yet (the normal case: `make bench` runs each benchmark
in its own process), bench.django_setup points DATABASE_URL at the project file and migrates.
If the caller already configured Django on SQLite, the default connection is switched to the
fresh file for the run and switched back afterwards; any other database engine is refused,
because the baseline is SQLite.

Not timed: creating the business, its built-in playbooks, the customers and engagements, and
reading the written rows back for the baseline. Timed for the project: loading the
engagements, planning them, and inserting the rows in one transaction (commit included).
Timed for the baseline, the floor: BEGIN, one executemany of all rows, COMMIT, into the
project's own table in a copy of the project's database, emptied first (not timed), with the
same PRAGMAs as the project's connection (WAL, synchronous=NORMAL) and its foreign keys
enforced, as Django enforces them and as PostgreSQL always does (bench/planning_pg.py): the
same rows into an identical table, holding the same rows it points to.

Until issue 17's second stop the floor was a fresh file holding only the table, with foreign
keys off (sqlite3's default): less work than the product must do. It is still timed, as
`distance_without_foreign_keys`, so figures from before can be compared.

    .venv/bin/python -c "import bench.planning as b; print(b.run(2000))"
"""

import contextlib
import datetime as dt
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

GOAL = 0.25
FLOOR_GOAL = 0.8  # issue 17: at least 0.8 of a raw insert of the same rows
SEED = 20260601


def run(scale: int = 100_000) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-planning-"))
    with _project_database(folder / "project.sqlite3") as project_path:
        engagements = _create_engagements(scale)
        rows, project_seconds = _time_project(engagements)
        columns, table_sql = _schema(project_path)
        written = _read_rows(project_path, columns)
    baseline_seconds = _time_into_a_copy(project_path, folder / "copy.sqlite3", columns, written)
    bare_seconds = _time_baseline(folder / "baseline.sqlite3", table_sql, columns, written)
    assert rows == len(written), (rows, len(written))
    project_rate = rows / project_seconds
    baseline_rate = rows / baseline_seconds
    return {
        "name": "planning",
        "engagements": scale,
        "rows": rows,
        "project_seconds": round(project_seconds, 2),
        "baseline_seconds": round(baseline_seconds, 2),
        "project_rows_per_s": round(project_rate),
        "baseline_rows_per_s": round(baseline_rate),
        "ratio": round(project_rate / baseline_rate, 3),
        # The baseline is the floor: the same rows, raw, into an identical table.
        "distance": round(project_rate / baseline_rate, 3),
        "bare_table_seconds": round(bare_seconds, 2),
        "distance_without_foreign_keys": round(bare_seconds / project_seconds, 3),
        "goal": f">= {GOAL}; distance to the floor >= {FLOOR_GOAL}",
        "met": project_rate / baseline_rate >= FLOOR_GOAL,
    }


@contextlib.contextmanager
def _project_database(path: Path):
    from django.conf import settings

    if not settings.configured:
        from bench.django_setup import setup

        setup(path)
        yield path
        return
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "sqlite":
        raise RuntimeError("The planning benchmark compares against SQLite; run it on SQLite.")
    old_name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = str(path)
    try:
        call_command("migrate", verbosity=0)
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = old_name


def _create_engagements(scale: int):
    """One business, its built-in playbooks, and `scale` customers each with one engagement
    (two in three jobs, one in three orders) spread over a year, as a CSV import would."""
    from followthrough.customers.models import Customer, Engagement
    from followthrough.playbooks.library import install_builtin_playbooks
    from followthrough.tenants.models import Business

    business = Business.objects.create(
        slug="bench", name="Bench Plumbing", timezone="America/New_York",
        sender_email="bench@example.com",
    )
    service, product = install_builtin_playbooks(business)
    customers = Customer.objects.bulk_create(
        (Customer(business=business, name=f"Customer {n}", email=f"c{n}@example.com")
         for n in range(scale)),
        batch_size=5000,
    )
    rng = random.Random(SEED)
    start = dt.datetime(2025, 9, 1, 14, 0, tzinfo=dt.UTC)
    Engagement.objects.bulk_create(
        (_engagement(business, customer, product if n % 3 == 2 else service, start, rng)
         for n, customer in enumerate(customers)),
        batch_size=5000,
    )
    return Engagement.objects.filter(business=business).order_by("pk").only(
        "pk", "public_id", "business_id", "customer_id", "playbook_id", "won_at",
        "started_at", "delivered_at", "closed_at", "cancelled_at",
    )


def _engagement(business, customer, playbook, start, rng):
    from followthrough.customers.models import Engagement

    won = start + dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 600))
    started = won + dt.timedelta(days=rng.randint(1, 3))
    delivered = started + dt.timedelta(days=rng.randint(2, 10))
    return Engagement(
        business=business, customer=customer, playbook=playbook, kind="Job",
        description="Bench job", won_at=won, started_at=started, delivered_at=delivered,
    )


def _time_project(engagements) -> tuple[int, float]:
    from django.utils import timezone

    from followthrough.touchpoints.planning import plan_new_engagements

    now = timezone.now()
    started = time.perf_counter()
    rows = plan_new_engagements(engagements, now=now)
    return rows, time.perf_counter() - started


def _schema(path: Path) -> tuple[list[str], list[str]]:
    """The touchpoint table's columns (without the id) and the SQL that created it."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        info = db.execute("PRAGMA table_info(touchpoints_touchpoint)").fetchall()
        sql = [row[0] for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'touchpoints_touchpoint' "
            "AND sql IS NOT NULL ORDER BY type DESC"  # the table before its indexes
        )]
    return [row[1] for row in info if row[1] != "id"], sql


def _read_rows(path: Path, columns: list[str]) -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(f"SELECT {names} FROM touchpoints_touchpoint ORDER BY id").fetchall()


def _time_into_a_copy(project: Path, path: Path, columns: list[str], rows: list[tuple]) -> float:
    """The floor: the rows into the project's own table, in a copy of its database emptied of
    touchpoints, with foreign keys enforced."""
    with contextlib.closing(sqlite3.connect(project)) as source, \
            contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        source.backup(db)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("DELETE FROM touchpoints_touchpoint")
        db.execute("VACUUM")
        db.execute("PRAGMA foreign_keys=ON")
        seconds = _insert(db, columns, rows)
    os.remove(path)
    return seconds


def _insert(db, columns: list[str], rows: list[tuple]) -> float:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    insert = f"INSERT INTO touchpoints_touchpoint ({names}) VALUES ({marks})"
    started = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(insert, rows)
    db.execute("COMMIT")
    return time.perf_counter() - started


def _time_baseline(path: Path, table_sql: list[str], columns: list[str],
                   rows: list[tuple]) -> float:
    """The floor before issue 17's second stop: a fresh file holding only the table, with
    foreign keys off."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in table_sql:
            db.execute(statement)
        seconds = _insert(db, columns, rows)
    os.remove(path)
    return seconds
