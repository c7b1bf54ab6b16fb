"""Dashboard: the Insights page for a business with N customers (100,000) and M touchpoints
(1,000,000), against a bare `SELECT COUNT(*)` over the touchpoint table in the same run.

The headline is the cold render: the first view after a touchpoint changed (one row is
sent, as the worker would), when the cached figures no longer apply and every figure is
computed again, the rollups catching up with that change first. Goal: under 300 ms. Also
reported: the one-time rollup build (`followthrough insights_rollup`, which the worker's
after-pass hook and the first page view otherwise do), a cold render with nothing changed,
the median warm (cached) render, and the cold render for the other periods.
BENCH_DASH_CUSTOMERS and BENCH_DASH_TOUCHPOINTS override N and M."""

import datetime as dt
import io
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.django_setup import setup

ELEMENTS = ("check_in", "feedback", "thank_you", "social_invite", "subscribe_invite",
            "review", "referral", "maintenance", "other", "progress_update")
COLD_RUNS = 5
PAST = ("sent", "sent", "done", "sent", "skipped", "missed", "sent", "failed")


def fill(db_path: Path, customers: int, touchpoints: int) -> tuple[int, object]:
    """A business with an owner and an installed library, then raw rows: every customer has
    one engagement, every fifth a second one; touchpoints spread over two years."""
    from django.contrib.auth import get_user_model

    from followthrough.playbooks.library import install_builtin_playbooks
    from followthrough.tenants.models import Business, Membership

    business = Business.objects.create(slug="bench", name="Bench", timezone="Europe/London")
    install_builtin_playbooks(business)
    user = get_user_model().objects.create_user(username="owner", password="x" * 20)
    Membership.objects.create(business=business, user=user, role=Membership.OWNER)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def joined(n: int) -> dt.datetime:
        return now - dt.timedelta(days=(n * 7) % 700 + 300)

    db = sqlite3.connect(db_path)
    with db:
        db.executemany(
            "INSERT INTO customers_customer (business_id, public_id, name, email, phone, "
            "postal_address, preferred_channel, notes, defining_moment, tags, timezone, "
            "marketing_hold, created_at, updated_at) VALUES (?, ?, ?, '', '', '', 'email', "
            "'', '', '', '', 0, ?, ?)",
            # Added (and last edited) when they first bought, not all at once just now.
            ((business.pk, f"c{n:031d}", f"Customer {n}", str(joined(n)), str(joined(n)))
             for n in range(customers)),
        )
        first = db.execute("SELECT MIN(id) FROM customers_customer").fetchone()[0]
        engagements = []
        for n in range(customers):
            won = now - dt.timedelta(days=(n * 7) % 700)
            engagements.append((n, won))
            if n % 5 == 0:
                engagements.append((n, won - dt.timedelta(days=90 + n % 200)))
        db.executemany(
            "INSERT INTO customers_engagement (business_id, customer_id, public_id, kind, "
            "description, won_at, delivered_at, created_at) VALUES (?, ?, ?, 'Job', '', ?, "
            "?, ?)",
            ((business.pk, first + c, f"e{i:031d}", str(won),
              str(won + dt.timedelta(days=3)) if i % 10 else None, str(won))
             for i, (c, won) in enumerate(engagements)),
        )
        e_first = db.execute("SELECT MIN(id) FROM customers_engagement").fetchone()[0]
        columns = [r[1] for r in db.execute("PRAGMA table_info(touchpoints_touchpoint)")
                   if r[1] != "id"]
        nullable = {r[1] for r in db.execute("PRAGMA table_info(touchpoints_touchpoint)")
                    if not r[3]}
        count = len(engagements)

        def row(n: int) -> tuple:
            e = n % count
            c, won = engagements[e]
            due = won + dt.timedelta(days=(n // count) * 9 + 1)
            status = "planned" if due > now else PAST[n % len(PAST)]
            values = {
                "business_id": business.pk, "customer_id": first + c,
                "engagement_id": e_first + e, "occurrence": 0, "name": "Step",
                "stage": 1 + n % 4, "element": ELEMENTS[n % len(ELEMENTS)],
                "purpose": "relationship", "status": status, "channel": "email",
                "public_id": f"t{n:031d}", "link_token": f"l{n:031d}",
                "idempotency_key": f"bench:{n}", "due_at": str(due),
                "local_date": str(due.date()), "local_time": str(due.time()),
                "completed_at": str(due) if status in ("sent", "done") else None,
                # Stamped when it last changed: planned rows when planned (the sale), the
                # rest when they happened, as in a business that has run for two years.
                "created_at": str(won), "updated_at": str(won if due > now else due),
                "attempts": 0, "priority": 0,
            }
            return tuple(values.get(k, None if k in nullable else "") for k in columns)

        marks = ", ".join("?" * len(columns))
        db.executemany(f"INSERT INTO touchpoints_touchpoint ({', '.join(columns)}) "
                       f"VALUES ({marks})", (row(n) for n in range(touchpoints)))
    db.execute("ANALYZE")
    db.close()
    return business.pk, user


def timed(fn, times: int) -> list[float]:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def run(customers: int | None = None, touchpoints: int | None = None) -> dict:
    customers = customers or int(os.environ.get("BENCH_DASH_CUSTOMERS", 100_000))
    touchpoints = touchpoints or int(os.environ.get("BENCH_DASH_TOUCHPOINTS", 1_000_000))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    db_path = Path(tempfile.mkdtemp(prefix="bench-dash-")) / "dash.sqlite3"
    setup(db_path)
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from followthrough.touchpoints.models import Touchpoint

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")
    _, user = fill(db_path, customers, touchpoints)
    client = Client()
    client.force_login(user)

    def count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM touchpoints_touchpoint")
            assert cursor.fetchone()[0] == touchpoints

    def page(query=""):
        response = client.get("/insights/" + query)
        assert response.status_code == 200, response.status_code

    count()
    baseline = statistics.median(timed(count, 5))
    started = time.perf_counter()
    call_command("insights_rollup", stdout=io.StringIO())
    build = time.perf_counter() - started
    ids = Touchpoint.objects.filter(status="planned").order_by("due_at").values_list(
        "pk", flat=True)[:COLD_RUNS]

    def send(pk):
        Touchpoint.objects.filter(pk=pk).update(status="sent", completed_at=timezone.now(),
                                                updated_at=timezone.now())

    colds = []
    for pk in ids:  # each view follows a fresh change, so none is served from the cache
        send(pk)
        colds.append(timed(page, 1)[0])
    cold = statistics.median(colds)
    cache.clear()
    unchanged = timed(page, 1)[0]
    warm = statistics.median(timed(page, 10))
    periods = {}
    for key in ("30", "365", "all"):
        cache.clear()
        periods[key] = f"{timed(lambda k=key: page(f'?period={k}'), 1)[0] * 1000:.0f} ms"
    return {
        "name": "dashboard",
        "customers": customers, "touchpoints": touchpoints,
        "project": f"{cold * 1000:.0f} ms per cold render after a touchpoint change "
                   f"(median of {len(colds)})",
        "baseline": f"{baseline * 1000:.0f} ms for SELECT COUNT(*) over the touchpoints",
        "ratio": round(cold / baseline, 2),
        "cold_no_change": f"{unchanged * 1000:.0f} ms",
        "warm": f"{warm * 1000:.0f} ms (cached figures, median of 10)",
        "cold_other_periods": periods,
        "rollup_build": f"{build:.1f} s, once (insights_rollup)",
        "goal": "cold render < 300 ms",
        "met": cold < 0.3,
    }


if __name__ == "__main__":
    print(run())
