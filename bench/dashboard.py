"""Dashboard: the Insights page for a business with N customers (100,000) and M touchpoints
(1,000,000), against a bare `SELECT COUNT(*)` over the touchpoint table in the same run.

The headline is the cold render: the first view after a touchpoint changed (one row is
sent, as the worker would), when the cached figures no longer apply and every figure is
computed again, the rollups catching up with that change first. Goal: under 300 ms. Also
reported: the one-time rollup build (`followthrough insights_rollup`, which the worker's
after-pass hook and the first page view otherwise do), a cold render with nothing changed,
the median warm (cached) render, and the cold render for the other periods.
BENCH_DASH_CUSTOMERS and BENCH_DASH_TOUCHPOINTS override N and M.

Each render is also timed in CPU seconds of this process (time.process_time): on SQLite the
database works inside it, so that figure holds on a machine busy with other work, where
the wall clock counts time spent waiting for a core. (On PostgreSQL the server's work is
not in it; read the wall clock there, with the load noted.)"""

import datetime as dt
import io
import os
import statistics
import sys
import time

from bench.django_setup import on_database

ELEMENTS = ("check_in", "feedback", "thank_you", "social_invite", "subscribe_invite",
            "review", "referral", "maintenance", "other", "progress_update")
COLD_RUNS = 5
AS_OF = dt.timedelta(minutes=2)
PAST = ("sent", "sent", "done", "sent", "skipped", "missed", "sent", "failed")


def fill(customers: int, touchpoints: int) -> tuple[int, object]:
    """A business with an owner and an installed library, then raw rows: every customer has
    one engagement, every fifth a second one; touchpoints spread over two years. Written
    with executemany on SQLite and COPY on PostgreSQL, then ANALYZEd."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from followthrough.customers.models import Customer, Engagement
    from followthrough.playbooks.library import install_builtin_playbooks
    from followthrough.tenants.models import Business, Membership
    from followthrough.touchpoints.models import Touchpoint

    business = Business.objects.create(slug="bench", name="Bench", timezone="Europe/London")
    install_builtin_playbooks(business)
    user = get_user_model().objects.create_user(username="owner", password="x" * 20)
    Membership.objects.create(business=business, user=user, role=Membership.OWNER)
    pg = connection.vendor == "postgresql"
    # The data is as of a little before the run: otherwise the one customer in a hundred
    # whose sale the fill stamps "now" sits inside the rollups' re-read window
    # (rollup.OVERLAP), and every cold view in the first minute recomputes them all.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) - AS_OF

    def ts(value):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if pg else str(value)

    def joined(n: int) -> dt.datetime:
        return now - dt.timedelta(days=(n * 7) % 700 + 300)

    with transaction.atomic():
        insert(Customer, customers, lambda n: {
            "business_id": business.pk, "public_id": f"c{n:031d}", "name": f"Customer {n}",
            "preferred_channel": "email", "marketing_hold": False,
            # Added (and last edited) when they first bought, not all at once just now.
            "created_at": ts(joined(n)), "updated_at": ts(joined(n))})
        first = Customer.objects.filter(business=business).order_by("pk").first().pk
        engagements = []
        for n in range(customers):
            won = now - dt.timedelta(days=(n * 7) % 700)
            engagements.append((n, won))
            if n % 5 == 0:
                engagements.append((n, won - dt.timedelta(days=90 + n % 200)))
        insert(Engagement, len(engagements), lambda i: {
            "business_id": business.pk, "customer_id": first + engagements[i][0],
            "public_id": f"e{i:031d}", "kind": "Job", "won_at": ts(engagements[i][1]),
            "delivered_at": (ts(engagements[i][1] + dt.timedelta(days=3)) if i % 10
                             else None),
            "created_at": ts(engagements[i][1])})
        e_first = Engagement.objects.filter(business=business).order_by("pk").first().pk
        count = len(engagements)

        def row(n: int) -> dict:
            e = n % count
            c, won = engagements[e]
            due = won + dt.timedelta(days=(n // count) * 9 + 1)
            status = "planned" if due > now else PAST[n % len(PAST)]
            return {
                "business_id": business.pk, "customer_id": first + c,
                "engagement_id": e_first + e, "occurrence": 0, "name": "Step",
                "stage": 1 + n % 4, "element": ELEMENTS[n % len(ELEMENTS)],
                "purpose": "relationship", "status": status, "channel": "email",
                "public_id": f"t{n:031d}", "link_token": f"l{n:031d}",
                "idempotency_key": f"bench:{n}", "due_at": ts(due),
                "local_date": due.date() if pg else str(due.date()),
                "local_time": due.time() if pg else str(due.time()),
                "completed_at": ts(due) if status in ("sent", "done") else None,
                # Stamped when it last changed: planned rows when planned (the sale), the
                # rest when they happened, as in a business that has run for two years.
                "created_at": ts(won), "updated_at": ts(won if due > now else due),
                "attempts": 0, "priority": 0, "origin": "playbook_step",
            }

        insert(Touchpoint, touchpoints, row)
    settle()
    return business.pk, user


def settle() -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map, which index-only
    scans need and which autovacuum sets after a bulk load in a running install (a table
    just filled by COPY has none, so every index-only scan would read the table too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def insert(model, n: int, row) -> None:
    """Rows 0..n-1 of `model` from row(i), a dict of column values (the rest take their
    empty value): one executemany on SQLite, one COPY on PostgreSQL."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if f.column != "id"]
    columns = [f.column for f in fields]
    kinds = {"CharField": "", "TextField": "", "EmailField": "", "BooleanField": False}
    empty = {f.column: None if f.null else kinds.get(f.get_internal_type(), 0)
             for f in fields}

    def values(i):
        found = row(i)
        return tuple(found.get(c, empty[c]) for c in columns)

    names = ", ".join(f'"{c}"' for c in columns)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for i in range(n):
                    copy.write_row(values(i))
        else:
            marks = ", ".join("?" * len(columns))
            cursor.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                                      (values(i) for i in range(n)))


CPU: list[float] = []  # process time of every timed call, in order


def timed(fn, times: int) -> list[float]:
    out = []
    for _ in range(times):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        out.append(time.perf_counter() - started)
        CPU.append(time.process_time() - cpu)
    return out


def run(customers: int | None = None, touchpoints: int | None = None,
        database: str | None = None) -> dict:
    customers = customers or int(os.environ.get("BENCH_DASH_CUSTOMERS", 100_000))
    touchpoints = touchpoints or int(os.environ.get("BENCH_DASH_TOUCHPOINTS", 1_000_000))
    database = database or os.environ.get("BENCH_DASH_DATABASE", "sqlite")
    return on_database(database, "dash", lambda: measure(customers, touchpoints))


def measure(customers: int, touchpoints: int) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from followthrough.touchpoints.models import Touchpoint

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")
    _, user = fill(customers, touchpoints)
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
    settle()  # the rollup tables were just filled too
    due = iter(Touchpoint.objects.filter(status="planned").order_by("due_at").values_list(
        "pk", flat=True)[:COLD_RUNS * (len(PERIODS) + 1)])

    def send():
        Touchpoint.objects.filter(pk=next(due)).update(
            status="sent", completed_at=timezone.now(), updated_at=timezone.now())

    def cold(query=""):
        """Median of cold renders, each after a fresh change, so none is served from
        the cache and the rollups catch up with one change first."""
        times, cpu = [], []
        for _ in range(COLD_RUNS):
            send()
            times.append(timed(lambda: page(query), 1)[0])
            cpu.append(CPU[-1])
        return statistics.median(times), statistics.median(cpu)

    colds = {key: cold(f"?period={key}") for key in PERIODS}
    cpu_colds = {key: c for key, (_, c) in colds.items()}
    colds = {key: t for key, (t, _) in colds.items()}
    cache.clear()
    unchanged = timed(page, 1)[0]
    warm = statistics.median(timed(page, 10))
    warm_cpu = statistics.median(CPU[-10:])
    if os.environ.get("BENCH_DASH_PROFILE"):
        profile(page, send)
    worst = max(colds.values())
    return {
        "name": "dashboard",
        "database": connection.vendor,
        "customers": customers, "touchpoints": touchpoints,
        "project": f"{colds['90'] * 1000:.0f} ms per cold render (90 days) after a "
                   f"touchpoint change (median of {COLD_RUNS})",
        "baseline": f"{baseline * 1000:.1f} ms for SELECT COUNT(*) over the touchpoints",
        "cold_ms": {PERIODS[k]: round(v * 1000) for k, v in colds.items()},
        "cold_cpu_ms": {PERIODS[k]: round(v * 1000) for k, v in cpu_colds.items()},
        "warm_cpu_ms": round(warm_cpu * 1000, 1),
        "load": os.getloadavg()[0],
        "cold_no_change_ms": round(unchanged * 1000),
        "warm_ms": round(warm * 1000, 1),
        "rollup_build_s": round(build, 1),
        "goal": "cold render < 300 ms for every period, warm < 30 ms",
        "met": worst < 0.3 and warm < 0.03,
    }


PERIODS = {"30": "30 days", "90": "90 days", "365": "12 months", "all": "all time"}


def profile(page, send) -> None:
    """BENCH_DASH_PROFILE=1: each query of a cold render of every period, slowest first,
    with its time and plan, on stderr (to choose indexes by their plans)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send()
    profiler = cProfile.Profile()
    profiler.runcall(page, "?period=365")
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(r"followthrough", 40)
    stats.sort_stats("tottime").print_stats(25)
    for key in PERIODS:
        send()
        with CaptureQueriesContext(connection) as captured:
            page(f"?period={key}")
        queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        total = sum(float(q["time"]) for q in queries)
        sys.stderr.write(f"\n=== period {key}: {len(queries)} queries, {total * 1000:.0f} ms\n")
        for q in queries[:12]:
            sys.stderr.write(f"\n{float(q['time']) * 1000:8.1f} ms  {q['sql'][:600]}\n")
            for line in explain(q["sql"]):
                sys.stderr.write(f"            {line}\n")


def explain(sql: str) -> list[str]:
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return []
    prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        try:
            cursor.execute(prefix + sql)
        except Exception as error:  # a logged query with its parameters inlined
            return [f"(no plan: {error})"]
        return [str(r[-1]) for r in cursor.fetchall()]


if __name__ == "__main__":
    print(run())
