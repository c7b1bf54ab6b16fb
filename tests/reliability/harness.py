"""Chaos-test plumbing: a fresh PostgreSQL (or SQLite) database per test, real
`followthrough worker` processes, and an aiosmtpd sink in this process.

Nothing is faked: the workers are the real command, the database is the real server, the
sink is a real SMTP server. Sizes can be raised (or lowered) by environment variables; the
defaults are the issue's figures where they fit in CI's time budget (docs/operations.md)."""

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

from tests.smtp import SinkHandler, SmtpSink

SERVER = os.environ.get("RELIABILITY_POSTGRES", "postgres://postgres@127.0.0.1:5432")
CLI = [sys.executable, "-c", "from followthrough.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def admin_connection():
    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def base_environment(database_url: str, sink_port: int, var_dir: Path, **worker) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WORKER_", "DATABASE_", "EMAIL_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "followthrough.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "reliability-test-key-" + "r" * 40,
        "FOLLOWTHROUGH_DEMO": "0",
        "FOLLOWTHROUGH_VAR_DIR": str(var_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink_port),
        "EMAIL_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    defaults = {"WORKER_LEASE_SECONDS": "3", "WORKER_BATCH_SIZE": "1",
                "WORKER_SEND_THREADS": "1", "WORKER_IDLE_SECONDS": "1",
                "WORKER_BACKOFF_SECONDS": "1", "WORKER_MAX_ATTEMPTS": "12"}
    env |= defaults | {key: str(value) for key, value in worker.items()}
    return env


def run_command(env: dict, *args, timeout: float = 120) -> str:
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


# Builds `count` due relationship emails spread over `businesses` businesses; quiet hours
# are put half a day away so the test can run at any hour.
SEED = """
import datetime as dt
from django.utils import timezone
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Touchpoint
now = timezone.now()
due = now - dt.timedelta(minutes=1)
for b in range(BUSINESSES):
    business = Business.objects.create(
        slug=f"shop-{b}", name=f"Shop {b}", timezone="UTC", sender_email=f"hi@shop{b}.example",
        postal_address="12 Mill Lane", quiet_hours_start=(now + dt.timedelta(hours=6)).time(),
        quiet_hours_end=(now + dt.timedelta(hours=7)).time())
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    step = Step.objects.create(playbook=playbook, name="Thanks",
                               subject="Thanks {{ customer_name }}",
                               body="Hi {{ customer_first_name }}, thanks again.")
    share = COUNT // BUSINESSES + (1 if b < COUNT % BUSINESSES else 0)
    customers = Customer.objects.bulk_create(
        Customer(business=business, name=f"Customer {b}-{n}", email=f"c{b}-{n}@example.com")
        for n in range(share))
    engagements = Engagement.objects.bulk_create(
        Engagement(business=business, customer=c, won_at=due) for c in customers)
    Touchpoint.objects.bulk_create((
        Touchpoint(business=business, engagement=e, customer=e.customer, step=step,
                   idempotency_key=f"{e.public_id}:{step.public_id}:0", name="Thanks",
                   channel="email", stage=4, element="thank_you", purpose="relationship",
                   due_at=due, local_date=due.date(), local_time=due.time())
        for e in engagements), batch_size=2000)
"""


def seed(env: dict, count: int, businesses: int = 1) -> None:
    script = SEED.replace("BUSINESSES", str(businesses)).replace("COUNT", str(count))
    run_command(env, "shell", "-c", script)


class PgDatabase:
    """A database of our own on the PostgreSQL server, copied from a migrated template."""

    def __init__(self, template: str | None = None):
        self.name = f"ft_reliability_{uuid.uuid4().hex[:12]}"
        self.url = f"{SERVER}/{self.name}"
        with admin_connection() as db:
            suffix = f" TEMPLATE {template}" if template else ""
            db.execute(f'CREATE DATABASE "{self.name}"{suffix}')

    def query(self, sql: str, params=()) -> list[tuple]:
        # Retry: in the database-restart test the server may be coming back up.
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=3) as db:
                    return db.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def statuses(self) -> dict[str, int]:
        return dict(self.query(
            "SELECT status, COUNT(*) FROM touchpoints_touchpoint GROUP BY status"))

    def message_ids(self) -> set[str]:
        return {row[0] for row in self.query("SELECT message_id FROM touchpoints_touchpoint")}

    def drop(self) -> None:
        with admin_connection() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Workers:
    """Real `followthrough worker` processes, killed and restarted at will."""

    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.started = 0
        self.kills = 0

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            self.started += 1
            log = open(self.log_dir / f"worker-{self.started}.log", "w")  # noqa: SIM115
            self.processes.append(subprocess.Popen(
                [*CLI, "worker", "--skip-checks"], env=self.env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT))

    def kill_one(self, rng: random.Random) -> None:
        victim = rng.choice(self.processes)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.processes.remove(victim)
        self.kills += 1
        self.start()

    def alive(self) -> int:
        return sum(1 for process in self.processes if process.poll() is None)

    def stop(self) -> list[int]:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=20))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        self.processes = []
        return codes

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("worker-*.log")))


class FlakyHandler(SinkHandler):
    """Answers 451 to a share of the messages it is offered, at random (seeded). The same
    message is refused at most `max_refusals` times, so the test's length stays bounded
    (exponential backoff would otherwise give a rare message a minute-long wait)."""

    def __init__(self, refuse_share: float, max_refusals: int = 3, seed: int = 7):
        super().__init__()
        self.refuse_share = refuse_share
        self.max_refusals = max_refusals
        self.rng = random.Random(seed)
        self.refused = 0
        self.refusals: dict[bytes, int] = {}

    async def handle_DATA(self, server, session, envelope):
        key = envelope.original_content.split(b"Message-ID:", 1)[-1][:80]
        with self.lock:
            times = self.refusals.get(key, 0)
            if times < self.max_refusals and self.rng.random() < self.refuse_share:
                self.refusals[key] = times + 1
                self.refused += 1
                return "451 4.3.0 Busy, try again later"
        return await super().handle_DATA(server, session, envelope)


def start_sink(handler: SinkHandler | None = None) -> SmtpSink:
    sink = SmtpSink()
    if handler is not None:
        sink.handler = handler
    return sink.start()


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
