"""Planning at scale on PostgreSQL: plan about 1,000,000 touchpoints (111,200 engagements with
the built-in playbooks) through `touchpoints.planning.plan_new_engagements`, against raw
`COPY ... FROM STDIN` (psycopg) of exactly the same rows into an identical table. The issue
sets no numeric goal; the ratio is reported.

A fresh database is created for the run and dropped after it. Not timed: migrating, creating
the business, playbooks, customers and engagements (as bench/planning.py), and exporting the
written rows (COPY TO, in PostgreSQL's text format) for the baseline. Timed for the project:
loading the engagements, planning them, inserting the rows in one transaction (commit
included). Timed for the baseline: BEGIN, one COPY of the exported bytes, COMMIT, into
`bench_copy`, made with `CREATE TABLE ... (LIKE touchpoints_touchpoint INCLUDING ALL)` (the
same columns, defaults, checks and every index) plus the same foreign keys, so both sides
pay for the same index and key maintenance. A CHECKPOINT runs before each timed part.

    BENCH_PG_ENGAGEMENTS   engagements to plan (default 111,200: about 1,000,000 rows)
    BENCH_POSTGRES         server URL (default postgres://postgres@127.0.0.1:5432)
"""

import os
import tempfile
import time
import uuid

import psycopg

SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "g" * 40)
    os.environ.setdefault("FOLLOWTHROUGH_VAR_DIR", tempfile.mkdtemp(prefix="bench-pg-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "followthrough.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def copy_table(db: psycopg.Connection) -> list[str]:
    """Create bench_copy like the touchpoint table, with its foreign keys; return the
    columns both sides write (all but the id)."""
    db.execute("CREATE TABLE bench_copy (LIKE touchpoints_touchpoint INCLUDING ALL)")
    keys = db.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'touchpoints_touchpoint'::regclass AND contype = 'f'").fetchall()
    for n, (definition,) in enumerate(keys):
        db.execute(f"ALTER TABLE bench_copy ADD CONSTRAINT bench_copy_fk_{n} {definition}")
    columns = [row[0] for row in db.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'touchpoints_touchpoint' AND column_name <> 'id' "
        "ORDER BY ordinal_position")]
    return columns


def export_rows(db: psycopg.Connection, columns: list[str]) -> list[bytes]:
    names = ", ".join(f'"{c}"' for c in columns)
    chunks = []
    with db.cursor() as cursor, cursor.copy(
            f"COPY (SELECT {names} FROM touchpoints_touchpoint ORDER BY id) TO STDOUT") as copy:
        for data in copy:
            chunks.append(bytes(data))
    return chunks


def time_copy(db: psycopg.Connection, columns: list[str], chunks: list[bytes]) -> float:
    names = ", ".join(f'"{c}"' for c in columns)
    db.execute("CHECKPOINT")
    started = time.perf_counter()
    with db.transaction(), db.cursor() as cursor, cursor.copy(
            f"COPY bench_copy ({names}) FROM STDIN") as copy:
        for data in chunks:
            copy.write(data)
    return time.perf_counter() - started


def run() -> dict:
    scale = int(os.environ.get("BENCH_PG_ENGAGEMENTS", 111_200))
    name = f"ft_bench_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        setup_django(url)
        from django.db import connection

        from bench.planning import _create_engagements, _time_project

        engagements = _create_engagements(scale)
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        rows, project_seconds = _time_project(engagements)
        connection.close()
        with psycopg.connect(url, autocommit=True) as db:
            columns = copy_table(db)
            chunks = export_rows(db, columns)
            baseline_seconds = time_copy(db, columns, chunks)
            copied = db.execute("SELECT COUNT(*) FROM bench_copy").fetchone()[0]
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert copied == rows, (copied, rows)
    project_rate, baseline_rate = rows / project_seconds, rows / baseline_seconds
    return {
        "name": "planning_pg",
        "engagements": scale,
        "rows": rows,
        "project": (f"plan_new_engagements: {project_seconds:.1f} s, "
                    f"{project_rate:,.0f} rows/s"),
        "baseline": f"raw COPY of the same rows: {baseline_seconds:.1f} s, "
                    f"{baseline_rate:,.0f} rows/s",
        "ratio": round(project_rate / baseline_rate, 3),
        # The baseline is the floor: the same rows, by COPY, into an identical table.
        "distance": round(project_rate / baseline_rate, 3),
        "goal": "distance to the floor >= 0.8",
        "met": project_rate / baseline_rate >= 0.8,
    }


if __name__ == "__main__":
    print(run())
