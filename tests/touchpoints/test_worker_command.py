"""`followthrough worker`: in process, and as a real process that is stopped and killed.

The subprocess tests use a file SQLite database of their own (the test database is in
memory), and a real aiosmtpd server in this process that takes 0.2 s per message."""

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from followthrough.touchpoints.models import Status
from tests.smtp import SmtpSink

ROWS, BATCH = 24, 6
CLI = [sys.executable, "-c", "from followthrough.cli import main; main()"]

# Builds a business with ROWS due relationship emails; quiet hours are put half a day away
# so the test can run at any hour.
MAKE_DATA = """
import datetime as dt
from django.utils import timezone
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Touchpoint
now = timezone.now()
business = Business.objects.create(
    slug="riverside", name="Riverside", timezone="UTC", sender_email="sam@riverside.example",
    postal_address="12 Mill Lane", quiet_hours_start=(now + dt.timedelta(hours=6)).time(),
    quiet_hours_end=(now + dt.timedelta(hours=7)).time())
playbook = Playbook.objects.create(business=business, slug="p", name="P")
step = Step.objects.create(playbook=playbook, name="Thanks", subject="Thanks {{ customer_name }}",
                           body="Hi {{ customer_first_name }}")
due = now - dt.timedelta(minutes=1)
for n in range(ROWS):
    customer = Customer.objects.create(business=business, name=f"Customer {n}",
                                       email=f"c{n}@example.com")
    engagement = Engagement.objects.create(business=business, customer=customer, won_at=due)
    Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, step=step,
        idempotency_key=f"{engagement.public_id}:{step.public_id}:0", name="Thanks",
        channel="email", stage=4, element="thank_you", purpose="relationship", due_at=due,
        local_date=due.date(), local_time=due.time())
""".replace("ROWS", str(ROWS))


def test_it_prints_the_pass_report_with_once(make_touchpoint, business, capsys):
    now = timezone.now()
    business.quiet_hours_start = (now + dt.timedelta(hours=6)).time()
    business.quiet_hours_end = (now + dt.timedelta(hours=7)).time()
    business.save()
    make_touchpoint(due_at=now - dt.timedelta(minutes=1))
    call_command("worker", "--once")
    assert "claimed=1 sent=1" in capsys.readouterr().out
    assert len(mail.outbox) == 1


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("worker-db") / "template.sqlite3"
    followthrough(path, None, "migrate", "-v0", "--skip-checks")
    return path


@pytest.fixture
def slow_sink():
    sink = SmtpSink().start()
    sink.slow_down(0.2)
    yield sink
    sink.stop()


@pytest.fixture
def worker_db(migrated_db, tmp_path, slow_sink):
    path = tmp_path / "worker.sqlite3"
    shutil.copy(migrated_db, path)
    followthrough(path, slow_sink, "shell", "-c", MAKE_DATA)
    return path


def environment(db_path, sink) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WORKER_")}
    return env | {
        "DJANGO_SETTINGS_MODULE": "followthrough.settings",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": "worker-subprocess-test-key-" + "y" * 30,
        "FOLLOWTHROUGH_DEMO": "0",
        "FOLLOWTHROUGH_VAR_DIR": str(db_path.parent),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port if sink else 25),
        "WORKER_LEASE_SECONDS": "2",
        "WORKER_BATCH_SIZE": str(BATCH),
        "WORKER_SEND_THREADS": "2",
        "WORKER_IDLE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }


def followthrough(db_path, sink, *args) -> str:
    done = subprocess.run(
        [*CLI, *args], env=environment(db_path, sink), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_worker(db_path, sink) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "worker", "--skip-checks"], env=environment(db_path, sink),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def statuses(db_path) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT status, COUNT(*) FROM touchpoints_touchpoint GROUP BY status")
        return dict(rows.fetchall())


def message_ids(db_path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        return {row[0] for row in db.execute("SELECT message_id FROM touchpoints_touchpoint")}


def test_it_resends_only_the_rows_in_flight_after_being_killed_mid_batch(worker_db, slow_sink):
    process = start_worker(worker_db, slow_sink)
    slow_sink.wait_for(BATCH + 2, timeout=30)  # the second batch is on its way
    process.kill()
    process.wait(timeout=10)
    in_flight = statuses(worker_db).get(Status.SENDING, 0)
    assert 0 < in_flight <= 2 * BATCH  # the batch being sent and the next, prepared meanwhile

    time.sleep(2.1)  # WORKER_LEASE_SECONDS
    report = followthrough(worker_db, slow_sink, "worker", "--once", "--skip-checks")

    assert f"reclaimed={in_flight}" in report
    assert statuses(worker_db) == {Status.SENT: ROWS}
    received = slow_sink.message_ids()
    assert set(received) == message_ids(worker_db)
    assert len(received) - len(set(received)) <= in_flight


def test_it_finishes_the_current_batch_and_exits_on_sigterm(worker_db, slow_sink):
    process = start_worker(worker_db, slow_sink)
    slow_sink.wait_for(2, timeout=30)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    counts = statuses(worker_db)
    assert Status.SENDING not in counts
    assert counts[Status.SENT] == len(slow_sink.messages) == len(set(slow_sink.message_ids()))
    assert counts.get(Status.PLANNED, 0) > 0
