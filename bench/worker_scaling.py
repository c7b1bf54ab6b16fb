"""Worker scaling: 1, 2 and 4 `followthrough worker` processes on PostgreSQL send the same N
due emails to an SMTP sink that takes 20 ms per message (a stand-in for a provider's
latency). Reports messages per second for each and the ratio of 4 workers to 1, plus the
peak RSS of one worker over the run. Goal: 4 workers ≥ 3.2× one.

Each run starts from the same rows (reset to planned) in a fresh PostgreSQL database made
for the benchmark and dropped after. The sink runs in its own process.

    BENCH_SCALING_MESSAGES   rows per run (default 4,000)
    BENCH_SCALING_THREADS    WORKER_SEND_THREADS per worker (default 4)
    BENCH_POSTGRES           server URL (default postgres://postgres@127.0.0.1:5432)"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from followthrough.cli import main; main()"]
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")

SINK = r"""
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Slow:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        Slow.count += 1
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Slow()), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.readline():
        print(Slow.count, flush=True)

asyncio.run(main())
"""

SEED = """
import datetime as dt
from django.utils import timezone
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Touchpoint
now = timezone.now()
due = now - dt.timedelta(minutes=1)
business = Business.objects.create(
    slug="riverside", name="Riverside", timezone="UTC", sender_email="sam@riverside.example",
    postal_address="12 Mill Lane", quiet_hours_start=(now + dt.timedelta(hours=6)).time(),
    quiet_hours_end=(now + dt.timedelta(hours=7)).time())
playbook = Playbook.objects.create(business=business, slug="p", name="P")
step = Step.objects.create(playbook=playbook, name="Thanks", subject="Thanks {{ customer_name }}",
                           body="Hi {{ customer_first_name }}, thanks for choosing us.")
customers = Customer.objects.bulk_create(
    Customer(business=business, name=f"Customer {n}", email=f"c{n}@example.com")
    for n in range(COUNT))
engagements = Engagement.objects.bulk_create(
    Engagement(business=business, customer=c, won_at=due) for c in customers)
Touchpoint.objects.bulk_create((
    Touchpoint(business=business, engagement=e, customer=e.customer, step=step,
               idempotency_key=f"{e.public_id}:{step.public_id}:0", name="Thanks",
               channel="email", stage=4, element="thank_you", purpose="relationship",
               due_at=due, local_date=due.date(), local_time=due.time())
    for e in engagements), batch_size=2000)
"""

RESET = ("UPDATE touchpoints_touchpoint SET status = 'planned', attempts = 0, message_id = '', "
         "completed_at = NULL, due_at = NOW() - INTERVAL '1 minute', lease_until = NULL, "
         "claimed_by = ''")


def environment(url: str, port: int, threads: int, var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "DATABASE_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "followthrough.settings", "DATABASE_URL": url,
        "SECRET_KEY": "bench-only-secret-key-" + "b" * 40, "FOLLOWTHROUGH_DEMO": "0",
        "FOLLOWTHROUGH_VAR_DIR": var_dir, "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "WORKER_SEND_THREADS": str(threads),
        "WORKER_BATCH_SIZE": "100", "WORKER_IDLE_SECONDS": "1", "PYTHONPATH": str(ROOT),
    }


def peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_run(env: dict, url: str, workers: int, count: int) -> tuple[float, int]:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(RESET)
        db.execute("VACUUM ANALYZE touchpoints_touchpoint")
    started = time.perf_counter()
    processes = [subprocess.Popen([*CLI, "worker", "--skip-checks"], env=env, cwd=ROOT)
                 for _ in range(workers)]
    peak = 0
    try:
        with psycopg.connect(url, autocommit=True) as db:
            while True:
                sent = db.execute("SELECT COUNT(*) FROM touchpoints_touchpoint "
                                  "WHERE status = 'sent'").fetchone()[0]
                peak = max(peak, peak_rss_kib(processes[0].pid))
                if sent >= count:
                    break
                time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    return count / elapsed, peak


def run() -> dict:
    count = int(os.environ.get("BENCH_SCALING_MESSAGES", 4000))
    threads = int(os.environ.get("BENCH_SCALING_THREADS", 4))
    name = f"ft_bench_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    var_dir = tempfile.mkdtemp(prefix="bench-scaling-")
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(sink.stdout.readline())
        env = environment(url, port, threads, var_dir)
        for args in (["migrate", "-v0", "--skip-checks"], ["shell", "-c",
                                                          SEED.replace("COUNT", str(count))]):
            subprocess.run([*CLI, *args], env=env, cwd=ROOT, check=True)
        rates, peaks = {}, {}
        for workers in (1, 2, 4):
            rates[workers], peaks[workers] = timed_run(env, url, workers, count)
    finally:
        sink.kill()
        sink.wait()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ratio = rates[4] / rates[1]
    return {
        "name": "worker_scaling",
        "messages": count,
        "send_threads_per_worker": threads,
        "one_worker": f"{rates[1]:.0f} messages/s",
        "two_workers": f"{rates[2]:.0f} messages/s ({rates[2] / rates[1]:.2f}x)",
        "four_workers": f"{rates[4]:.0f} messages/s",
        "ratio": round(ratio, 2),
        "goal": "4 workers >= 3.2x one",
        "met": ratio >= 3.2,
        "peak_rss_one_worker_mib": round(peaks[1] / 1024, 1),
    }


if __name__ == "__main__":
    print(run())
