"""Worker scaling: 1, 2 and 4 `followthrough worker` processes on PostgreSQL send the same N
due emails to an SMTP sink that takes 20 ms per message (a stand-in for a provider's
latency). Reports messages per second for each and the ratio of 4 workers to 1, plus the
peak RSS of one worker over the run. Goal: 4 workers ≥ 3.2× one.

Each run starts from the same rows (reset to planned) in a fresh PostgreSQL database made
for the benchmark and dropped after. The sink runs in its own process.

Throughput is that of running workers: the rows are parked in the future while the worker
processes start (Python and Django take 1.5 to 3 seconds on a busy 2-core machine), and are
made due once every worker has written its heartbeat; the clock runs from that moment until
the last row is sent. The end-to-end time, start-up included, is reported beside it.

    BENCH_SCALING_MESSAGES   rows per run (default 8,000)
    BENCH_SCALING_THREADS    WORKER_SEND_THREADS per worker (default 4)
    BENCH_SCALING_SINK       lean (default) or aiosmtpd
    BENCH_SCALING_BATCH      WORKER_BATCH_SIZE (default 100)
    BENCH_SCALING_COUNTS     how many workers in each run (default 1,2,4; 1,8 checks
                             docs/scaling.md)
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
DEFAULT_COUNTS = (1, 2, 4)  # BENCH_SCALING_COUNTS overrides, e.g. "1,8"

# The provider stand-in. A real provider's CPU is not on this machine, so the default sink
# is a lean asyncio SMTP server (about 0.1 ms of CPU a message) rather than aiosmtpd, which
# reads DATA line by line and spends about 0.9 ms a message on the same 2 cores the workers
# need. BENCH_SCALING_SINK=aiosmtpd runs the same benchmark against aiosmtpd.
LEAN_SINK = r"""
import asyncio, sys

count = 0

async def session(reader, writer):
    global count
    writer.write(b"220 sink ESMTP\r\n")
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await reader.readuntil(b"\r\n.\r\n")
            await asyncio.sleep(0.02)
            count += 1
            writer.write(b"250 OK\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            break
        else:  # MAIL, RCPT, RSET, NOOP
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=2**20)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.readline():
        print(count, flush=True)

asyncio.run(main())
"""

AIOSMTPD_SINK = r"""
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

SINKS = {"lean": LEAN_SINK, "aiosmtpd": AIOSMTPD_SINK}

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

PARK = ("UPDATE touchpoints_touchpoint SET status = 'planned', attempts = 0, message_id = '', "
        "completed_at = NULL, due_at = NOW() + INTERVAL '1 day', lease_until = NULL, "
        "claimed_by = ''")
RELEASE = "UPDATE touchpoints_touchpoint SET due_at = NOW() - INTERVAL '1 minute'"


def environment(url: str, port: int, threads: int, var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "DATABASE_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "followthrough.settings", "DATABASE_URL": url,
        "SECRET_KEY": "bench-only-secret-key-" + "b" * 40, "FOLLOWTHROUGH_DEMO": "0",
        "FOLLOWTHROUGH_VAR_DIR": var_dir, "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "WORKER_SEND_THREADS": str(threads),
        "WORKER_BATCH_SIZE": os.environ.get("BENCH_SCALING_BATCH", "100"),
        "WORKER_IDLE_SECONDS": "1", "PYTHONPATH": str(ROOT),
    }


def peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def count(db, sql: str, *params) -> int:
    return db.execute(sql, params).fetchone()[0]


def wait_until_ready(db, processes: list) -> None:
    """Every worker has started and finished its first (idle) pass."""
    pids = [process.pid for process in processes]
    deadline = time.monotonic() + 120
    while count(db, "SELECT COUNT(*) FROM touchpoints_workerheartbeat WHERE pid = ANY(%s)",
                pids) < len(pids):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise RuntimeError("a worker did not start")
        time.sleep(0.05)


def timed_run(env: dict, url: str, workers: int, total: int) -> tuple[float, float, int]:
    """(messages/s of running workers, messages/s with start-up, peak RSS of one worker)."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(PARK)
        db.execute("VACUUM ANALYZE touchpoints_touchpoint")
    started = time.perf_counter()
    processes = [subprocess.Popen([*CLI, "worker", "--skip-checks"], env=env, cwd=ROOT)
                 for _ in range(workers)]
    peak = 0
    try:
        with psycopg.connect(url, autocommit=True) as db:
            wait_until_ready(db, processes)
            released = time.perf_counter()
            db.execute(RELEASE)
            while count(db, "SELECT COUNT(*) FROM touchpoints_touchpoint "
                            "WHERE status = 'sent'") < total:
                peak = max(peak, peak_rss_kib(processes[0].pid))
                time.sleep(0.1)
        finished = time.perf_counter()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    startup = released - started
    return total / (finished - released), total / (finished - released + startup), peak


def run() -> dict:
    total = int(os.environ.get("BENCH_SCALING_MESSAGES", 8000))
    counts = tuple(int(n) for n in os.environ.get("BENCH_SCALING_COUNTS", "1,2,4").split(","))
    threads = int(os.environ.get("BENCH_SCALING_THREADS", 4))
    name = f"ft_bench_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    var_dir = tempfile.mkdtemp(prefix="bench-scaling-")
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    sink_name = os.environ.get("BENCH_SCALING_SINK", "lean")
    sink = subprocess.Popen([sys.executable, "-c", SINKS[sink_name]], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(sink.stdout.readline())
        env = environment(url, port, threads, var_dir)
        for args in (["migrate", "-v0", "--skip-checks"], ["shell", "-c",
                                                          SEED.replace("COUNT", str(total))]):
            subprocess.run([*CLI, *args], env=env, cwd=ROOT, check=True)
        rates, end_to_end, peaks = {}, {}, {}
        for workers in counts:
            rates[workers], end_to_end[workers], peaks[workers] = timed_run(
                env, url, workers, total)
    finally:
        sink.kill()
        sink.wait()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if counts != DEFAULT_COUNTS:  # e.g. BENCH_SCALING_COUNTS=1,8 for the capacity check
        return {"name": "worker_scaling", "messages": total, "send_threads_per_worker": threads,
                "sink": sink_name,
                "rates": {n: f"{rates[n]:.0f} messages/s" for n in counts},
                "ratio": {f"{n}:1": round(rates[n] / rates[1], 2) for n in counts if n != 1}
                if 1 in counts else None,
                "peak_rss_mib": {n: round(peaks[n] / 1024, 1) for n in counts}}
    ratio = rates[4] / rates[1]
    return {
        "name": "worker_scaling",
        "messages": total,
        "send_threads_per_worker": threads,
        "sink": sink_name,
        "one_worker": f"{rates[1]:.0f} messages/s",
        "two_workers": f"{rates[2]:.0f} messages/s ({rates[2] / rates[1]:.2f}x)",
        "four_workers": f"{rates[4]:.0f} messages/s",
        "ratio": round(ratio, 2),
        "goal": "4 workers >= 3.2x one",
        "met": ratio >= 3.2,
        "with_start_up": ", ".join(f"{n} worker(s) {end_to_end[n]:.0f}/s" for n in (1, 2, 4))
        + f" (4:1 {end_to_end[4] / end_to_end[1]:.2f})",
        "peak_rss_one_worker_mib": round(peaks[1] / 1024, 1),
    }


if __name__ == "__main__":
    print(run())
