"""Peers: schedule and fire the same N reminders (default 10,000) through APScheduler 3 with
its SQLAlchemyJobStore, django-tasks with its database backend (django-tasks-db), and
Followthrough. The first goal was 20x both at scheduling and 3x at firing; on this machine a
raw COPY of the same rows is itself only 13-17x the peers, so issue 17 turned it into a guard:
at least 5x both at scheduling and at least 1.5x APScheduler at firing must keep holding
(each benchmark's distance to the physical floor is reported by its own benchmark).

Each side runs in its own process (the peers need their own Django settings), one after the
other, on a fresh database of its own: first a PostgreSQL database made for the run (the
scale path; every side commits as it normally would), then a SQLite file with the project's
PRAGMAs (WAL, synchronous=NORMAL; the peers would default to a rollback journal with
synchronous=FULL, which is slower, so this favours them). BENCH_PEERS_DATABASES picks
(default "postgresql,sqlite").

Scheduling (timed):
- APScheduler: `add_job(remind, "date", run_date=due, args=[n])` N times on a started but
  paused BackgroundScheduler, so every job is written to the job store (one INSERT and
  commit each, as APScheduler does).
- django-tasks: `remind.using(run_after=due).enqueue(n)` N times (one INSERT each).
- Followthrough: `plan_new_engagements` over N engagements whose playbook has one email step,
  the bulk path imports use: one transaction, multi-row inserts. The customers, engagements
  and playbook exist before the clock starts (they are the business's data; the peers' jobs
  carry a customer number instead).
In every case `due` is "now": the reminders are due at once. Followthrough's planner puts a
step at its local time of day, so after planning the rows' due time is set to a minute ago
(not timed) for the firing step.

Firing (timed, until every job has run). What a fired job does is BENCH_PEERS_JOBS:
- "email" (the default): send one email (text plus HTML alternative, a subject, a
  Message-ID) to one aiosmtpd sink in another process; the sink's count is checked after
  each side (exactly N new messages, or the benchmark fails). The peers' job builds it with
  the standard library and sends it over an SMTP connection kept open per thread (the
  cheapest fair job). The Followthrough worker does all its real work per message besides:
  claim, re-check consent, cancellation and quiet hours, render the step's templates, add
  the unsubscribe footer and headers, and record the outcome on the row.
- "noop": the peers' job does nothing; Followthrough's worker does all of the above with
  Django's dummy email backend, which accepts and drops the message. This measures the
  queue and the per-reminder work without SMTP.
- APScheduler: `resume()` the scheduler; its default executor has 10 threads, and each job
  is deleted from the store once run.
- django-tasks: the `db_worker` loop (django_tasks_db's Worker, in batch mode, no interval)
  in the same process: it claims, runs and records one task at a time.
- Followthrough: worker passes (`run_once`) with the default WORKER_SEND_THREADS.

    BENCH_PEERS_REMINDERS   N (default 10,000)
    BENCH_PEERS_DATABASES   postgresql,sqlite (default both, in that order)
    BENCH_PEERS_JOBS        email, noop or both (default email)
    BENCH_POSTGRES          server URL (default postgres://postgres@127.0.0.1:5432)

The goal is judged on the first database and job listed.
"""

import contextlib
import datetime as dt
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("apscheduler", "django_tasks", "followthrough")
SCHEDULING_GOAL = 5.0  # against both peers
FIRING_GOAL = 1.5  # against APScheduler
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")

SUBJECT = "Thanks, {{ customer_first_name }}!"
BODY = (
    "Hi {{ customer_first_name }},\n\nThank you for choosing {{ business_name }} for "
    "{{ engagement_description }}. If anything is not right, reply to this email or call "
    "{{ business_phone }}.\n\nIf you have a minute, a review helps us a lot: {{ review_link }}"
    "\n\n{{ sender_name }}"
)


# The peers' job: one email to the sink, over a connection kept open per thread. ----------

_local = threading.local()
_fired = {"count": 0, "target": 0}
_fired_lock = threading.Lock()
_all_fired = threading.Event()


def send_reminder(n: int) -> None:
    smtp = getattr(_local, "smtp", None)
    if smtp is None:
        smtp = _local.smtp = smtplib.SMTP("127.0.0.1", int(os.environ["BENCH_PEERS_SINK_PORT"]))
    message = EmailMessage()
    message["From"] = "Sam at Riverside <sam@riverside.example>"
    message["To"] = f"Customer {n} <c{n}@example.com>"
    message["Subject"] = f"Thanks, Customer {n}!"
    message["Message-ID"] = f"<{n:032x}@riverside.example>"
    text = (f"Hi Customer {n},\n\nThank you for choosing Riverside Plumbing for a new water "
            "heater. If anything is not right, reply to this email or call +1 518 555 0142."
            "\n\nIf you have a minute, a review helps us a lot: https://riverside.example/r/x"
            "\n\nSam")
    message.set_content(text)
    message.add_alternative(f"<p>{text}</p>", subtype="html")
    smtp.send_message(message)


def fire(n: int) -> None:
    """The job every peer runs when a reminder fires: an email, or nothing (BENCH_PEERS_JOB)."""
    if os.environ.get("BENCH_PEERS_JOB") == "email":
        send_reminder(n)


def remind_apscheduler(n: int) -> None:
    fire(n)
    with _fired_lock:
        _fired["count"] += 1
        if _fired["count"] >= _fired["target"]:
            _all_fired.set()


# One side per process. ---------------------------------------------------------------------

def side_apscheduler(count: int, folder: Path) -> dict:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import create_engine, event

    url = os.environ["BENCH_PEERS_DB_URL"]
    engine = create_engine(url.replace("postgres://", "postgresql+psycopg://", 1))
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        job_defaults={"misfire_grace_time": None},  # late is fine: fire every job
    )
    scheduler.start(paused=True)
    _fired["target"] = count
    due = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for n in range(count):
        scheduler.add_job(remind_apscheduler, "date", run_date=due, args=[n], id=f"r{n}")
    scheduling = time.perf_counter() - started
    started = time.perf_counter()
    scheduler.resume()
    if not _all_fired.wait(timeout=1800):
        raise RuntimeError(f"APScheduler fired only {_fired['count']} of {count} jobs")
    firing = time.perf_counter() - started
    scheduler.shutdown(wait=True)
    return {"scheduling": scheduling, "firing": firing}


def side_django_tasks(count: int, folder: Path) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peers_tasks_settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from bench.peers_tasks import remind

    due = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for n in range(count):
        remind.using(run_after=due).enqueue(n)
    scheduling = time.perf_counter() - started
    worker = Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="bench",
                    excluded_queue_names=[])
    started = time.perf_counter()
    worker.run()
    firing = time.perf_counter() - started
    done = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    if done != count:
        raise RuntimeError(f"django-tasks ran {done} of {count} tasks")
    return {"scheduling": scheduling, "firing": firing}


def side_followthrough(count: int, folder: Path) -> dict:
    from bench.django_setup import setup_url

    setup_url(os.environ["BENCH_PEERS_DB_URL"])
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from followthrough.touchpoints.models import Status, Touchpoint
    from followthrough.touchpoints.planning import plan_new_engagements
    from followthrough.touchpoints.worker import run_once

    settings.EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend"
                              if os.environ.get("BENCH_PEERS_JOB") == "email"
                              else "django.core.mail.backends.dummy.EmailBackend")
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(os.environ["BENCH_PEERS_SINK_PORT"])
    engagements = _followthrough_engagements(count)
    started = time.perf_counter()
    written = plan_new_engagements(engagements.iterator(chunk_size=2000))
    scheduling = time.perf_counter() - started
    if written != count:
        raise RuntimeError(f"planned {written} touchpoints for {count} reminders")
    floor = copy_floor() if connection.vendor == "postgresql" else None
    now = timezone.now()
    due = Touchpoint.objects.filter(status=Status.PLANNED).update(
        due_at=now - dt.timedelta(minutes=1), local_date=now.date(), local_time=now.time())
    if due != count:
        raise RuntimeError(f"{due} of {count} touchpoints are planned")
    sent = 0
    started = time.perf_counter()
    while sent < count:
        report = run_once()
        if not report.claimed:
            raise RuntimeError(f"the worker sent {sent} of {count}: {report}")
        sent += report.sent
    firing = time.perf_counter() - started
    return {"scheduling": scheduling, "firing": firing, "copy_floor": floor,
            "send_threads": settings.WORKER_SEND_THREADS}


def copy_floor() -> float:
    """Seconds for raw COPY of the rows just planned into an identical table (the same
    columns, defaults, checks, indexes and foreign keys), as bench/planning_pg.py does:
    the fastest any scheduler could store these reminders in this table."""
    from django.db import connection

    from bench.planning_pg import copy_table, export_rows, time_copy

    connection.ensure_connection()
    db = connection.connection
    columns = copy_table(db)
    return time_copy(db, columns, export_rows(db, columns))


def _followthrough_engagements(count: int):
    """A business, a playbook with one email step, and `count` customers with one engagement
    each, won yesterday (not timed)."""
    from django.utils import timezone

    from followthrough.customers.models import Customer, Engagement
    from followthrough.playbooks.models import Playbook, Step
    from followthrough.tenants.models import Business

    now = timezone.now()
    business = Business.objects.create(
        slug="riverside", name="Riverside Plumbing", timezone="UTC", sender_name="Sam",
        sender_email="sam@riverside.example", postal_address="12 Mill Lane, Hudson, NY",
        website="https://riverside.example", phone="+1 518 555 0142", business_days="1234567",
        quiet_hours_start=(now + dt.timedelta(hours=6)).time(),
        quiet_hours_end=(now + dt.timedelta(hours=7)).time(),
    )
    playbook = Playbook.objects.create(business=business, slug="after", name="After")
    Step.objects.create(playbook=playbook, name="Thanks", subject=SUBJECT, body=BODY,
                        element="thank_you", offset_days=1)
    customers = Customer.objects.bulk_create(
        (Customer(business=business, name=f"Customer {n}", email=f"c{n}@example.com")
         for n in range(count)), batch_size=2000)
    won = now - dt.timedelta(days=1)
    Engagement.objects.bulk_create(
        (Engagement(business=business, customer=customer, playbook=playbook, won_at=won,
                    kind="Job", description="a new water heater") for customer in customers),
        batch_size=2000)
    return Engagement.objects.filter(business=business).order_by("pk")


def side_main() -> None:
    """Entry point of one side's process: `side count folder`; prints RESULT {json}."""
    side, count, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    timings = {"apscheduler": side_apscheduler, "django_tasks": side_django_tasks,
               "followthrough": side_followthrough}[side](count, folder)
    print("RESULT " + json.dumps(timings), flush=True)


# The benchmark. ----------------------------------------------------------------------------

def run_side(side: str, count: int, folder: Path, port: int, database: str,
             job: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env |= {"BENCH_PEERS_SINK_PORT": str(port), "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "WARNING", "BENCH_PEERS_JOB": job}
    code = "import sys, bench.peers as p; p.side_main()"
    with side_database(database, folder, f"{side}_{job}") as url:
        env["BENCH_PEERS_DB_URL"] = url
        completed = subprocess.run(
            [sys.executable, "-c", code, side, str(count), str(folder)],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600,
        )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{side} failed:\n{completed.stdout}\n{completed.stderr}")


@contextlib.contextmanager
def side_database(database: str, folder: Path, name: str):
    """A fresh, empty database for one side's run: a SQLite file, or a PostgreSQL database
    made for the run and dropped after it."""
    if database == "sqlite":
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    import psycopg

    db_name = f"ft_peers_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        yield f"{POSTGRES}/{db_name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def compare(count: int, folder: Path, port: int, received, database: str, job: str) -> dict:
    """Every side on one kind of database with one kind of job; rates and ratios."""
    timings = {}
    for side in SIDES:
        before = received()
        timings[side] = run_side(side, count, folder, port, database, job)
        got = received() - before
        expected = count if job == "email" else 0
        if got != expected:
            raise RuntimeError(f"{side}: the sink received {got} messages, not {expected}")
    rate = {side: {kind: count / timings[side][kind] for kind in ("scheduling", "firing")}
            for side in SIDES}
    ratios = {f"{kind}_vs_{peer}": round(rate["followthrough"][kind] / rate[peer][kind], 1)
              for peer in ("apscheduler", "django_tasks") for kind in ("scheduling", "firing")}

    def describe(side: str) -> str:
        return (f"schedule {rate[side]['scheduling']:,.0f}/s "
                f"({timings[side]['scheduling']:.2f} s), fire {rate[side]['firing']:,.0f}/s "
                f"({timings[side]['firing']:.2f} s)")

    floor = timings["followthrough"].get("copy_floor")
    return {
        "followthrough": describe("followthrough")
        + f", {timings['followthrough']['send_threads']} send threads",
        "copy_floor": (f"raw COPY of the same {count:,} rows into an identical table: "
                       f"{count / floor:,.0f}/s ({floor:.2f} s), "
                       f"{count / floor / rate['apscheduler']['scheduling']:.1f}x APScheduler, "
                       f"{count / floor / rate['django_tasks']['scheduling']:.1f}x django-tasks"
                       if floor else "PostgreSQL only"),
        "apscheduler": describe("apscheduler"),
        "django_tasks": describe("django_tasks"),
        "ratio": ratios,
    }


def goal_met(ratios: dict) -> bool:
    return (min(ratios["scheduling_vs_apscheduler"], ratios["scheduling_vs_django_tasks"])
            >= SCHEDULING_GOAL
            and ratios["firing_vs_apscheduler"] >= FIRING_GOAL)


def run() -> dict:
    from bench.dispatch import sink_process

    count = int(os.environ.get("BENCH_PEERS_REMINDERS", 10_000))
    databases = os.environ.get("BENCH_PEERS_DATABASES", "postgresql,sqlite").split(",")
    jobs = os.environ.get("BENCH_PEERS_JOBS", "email").split(",")
    folder = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    results = {}
    with sink_process() as (port, received):
        for database in databases:
            for job in jobs:
                results[f"{database}, {job} job"] = compare(count, folder, port, received,
                                                            database, job)
    headline = results.get(f"{databases[0]}, {jobs[0]} job")
    return {
        "name": "peers",
        "reminders": count,
        "runs": results,
        "goal": (f"scheduling >= {SCHEDULING_GOAL:g}x both, firing >= {FIRING_GOAL:g}x "
                 "APScheduler "
                 f"(judged on the first run: {databases[0]}, {jobs[0]} job)"),
        "met": goal_met(headline["ratio"]) if headline else None,
    }


if __name__ == "__main__":
    print(run())
