"""Idle tick: one worker pass (`run_once`) with nothing due, with N future planned
touchpoints in the table against an empty table. The due query reads the partial index
touchpoint_due_automated, so the pass should not notice the rows. Goal: ratio ≤ 1.5.

BENCH_IDLE_ROWS overrides N (1,000,000) and BENCH_IDLE_TICKS the number of timed passes."""

import datetime as dt
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.django_setup import setup

CHANNELS = ("email", "sms", "call", "card", "email")


def tick_seconds(ticks: int) -> float:
    """The median time of one empty pass."""
    from followthrough.touchpoints.worker import run_once

    run_once()  # warm up: connection, imports, query compilation
    times = []
    for _ in range(ticks):
        started = time.perf_counter()
        report = run_once()
        times.append(time.perf_counter() - started)
        assert report.claimed == 0, report
    return statistics.median(times)


def one_of_each() -> tuple[int, int, int, int]:
    """A business, customer, engagement and step for the rows to point at."""
    from django.utils import timezone

    from followthrough.customers.models import Customer, Engagement
    from followthrough.playbooks.models import Playbook, Step
    from followthrough.tenants.models import Business

    business = Business.objects.create(slug="bench", name="Bench")
    customer = Customer.objects.create(business=business, name="Pat", email="pat@example.com")
    engagement = Engagement.objects.create(
        business=business, customer=customer, won_at=timezone.now()
    )
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    step = Step.objects.create(playbook=playbook, name="Thanks", subject="Hi", body="Hi")
    return business.id, customer.id, engagement.id, step.id


def insert_future_rows(db_path: Path, rows: int) -> None:
    """Raw executemany in one transaction: the fastest way in, and not what is measured."""
    business, customer, engagement, step = one_of_each()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fixed = {
        "business_id": business, "customer_id": customer, "engagement_id": engagement,
        "step_id": step, "occurrence": 0, "name": "Thanks", "stage": 4,
        "element": "thank_you", "purpose": "relationship", "status": "planned",
        "created_at": str(now), "updated_at": str(now), "attempts": 0,
    }
    db = sqlite3.connect(db_path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(touchpoints_touchpoint)")
               if row[1] != "id"]
    nullable = {row[1] for row in db.execute("PRAGMA table_info(touchpoints_touchpoint)")
                if not row[3]}

    def values(n: int) -> tuple:
        due = now + dt.timedelta(days=1, seconds=n * 30)  # spread over the coming year
        row = fixed | {
            "public_id": f"bench{n:027d}", "link_token": f"link{n:028d}",
            "idempotency_key": f"bench:{n}",
            "channel": CHANNELS[n % len(CHANNELS)], "due_at": str(due),
            "local_date": str(due.date()), "local_time": str(due.time()),
        }
        return tuple(row.get(c, None if c in nullable else "") for c in columns)

    marks = ", ".join("?" * len(columns))
    with db:
        db.executemany(
            f"INSERT INTO touchpoints_touchpoint ({', '.join(columns)}) VALUES ({marks})",
            (values(n) for n in range(rows)),
        )
    db.close()


def run(rows: int | None = None, ticks: int | None = None) -> dict:
    rows = rows or int(os.environ.get("BENCH_IDLE_ROWS", 1_000_000))
    ticks = ticks or int(os.environ.get("BENCH_IDLE_TICKS", 50))
    db_path = Path(tempfile.mkdtemp(prefix="bench-idle-")) / "idle.sqlite3"
    setup(db_path)
    empty = tick_seconds(ticks)
    insert_future_rows(db_path, rows)
    full = tick_seconds(ticks)
    return {
        "name": "idle_tick",
        "rows": rows,
        "project": f"{full * 1000:.2f} ms per empty pass with {rows:,} future touchpoints",
        "baseline": f"{empty * 1000:.2f} ms per empty pass with an empty table",
        "ratio": round(full / empty, 2),
        "goal": "ratio <= 1.5",
        "met": full / empty <= 1.5,
    }


if __name__ == "__main__":
    print(run())
