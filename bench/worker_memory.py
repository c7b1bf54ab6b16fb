"""Memory: the resident set size of one `followthrough worker` process while it sends N due
emails (default 100,000) to an aiosmtpd sink running in another process. "It should stay
flat": goal, the peak is at most 50 MiB above the RSS measured once the first batch has been
sent (Django loaded, templates compiled, SMTP connections open).

The rows are created first (not measured) in a fresh SQLite file, as in bench/dispatch.py.
RSS is read from /proc/<pid>/status (VmRSS) every 0.25 s, with the sink's count at the same
moment; the run ends when the sink has every message and every row is `sent`.

    BENCH_MEMORY_MESSAGES   N (default 100,000)
"""

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from followthrough.cli import main; main()"]
GOAL_MIB = 50


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run() -> dict:
    from bench.dispatch import make_due_touchpoints, sink_process
    from bench.django_setup import setup

    count = int(os.environ.get("BENCH_MEMORY_MESSAGES", 100_000))
    folder = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    db_path = folder / "memory.sqlite3"
    setup(db_path)
    make_due_touchpoints(count)
    from django.db import connections

    connections.close_all()
    samples = []  # (seconds, messages at the sink, RSS KiB)
    with sink_process() as (port, received):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "DJANGO_"))}
        env |= {"DJANGO_SETTINGS_MODULE": "followthrough.settings",
                "DATABASE_URL": f"sqlite:///{db_path}", "FOLLOWTHROUGH_VAR_DIR": str(folder),
                "SECRET_KEY": "bench-only-secret-key-" + "m" * 40, "FOLLOWTHROUGH_DEMO": "0",
                "LOG_LEVEL": "WARNING", "WORKER_IDLE_SECONDS": "1", "PYTHONPATH": str(ROOT),
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
        started = time.monotonic()
        worker = subprocess.Popen([*CLI, "worker", "--skip-checks"], env=env, cwd=ROOT)
        try:
            while True:
                got = received()
                samples.append((time.monotonic() - started, got, rss_kib(worker.pid)))
                if got >= count and _all_sent(db_path, count):
                    break
                if worker.poll() is not None:
                    raise RuntimeError(f"the worker exited after {got} messages")
                if time.monotonic() - started > 3600:
                    raise RuntimeError(f"only {got} of {count} messages within an hour")
                time.sleep(0.25)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        elapsed = time.monotonic() - started
    first = next(s for s in samples if s[1] > 0)
    peak = max(s[2] for s in samples)
    end = samples[-1]
    at_tenth = next(s for s in samples if s[1] >= count // 10)

    def mib(kib: int) -> float:
        return round(kib / 1024, 1)

    growth = mib(peak - first[2])
    return {
        "name": "worker_memory",
        "messages": count,
        "sink": "aiosmtpd in another process",
        "project": (f"RSS at start-up {mib(samples[0][2])} MiB; after the first batch "
                    f"{mib(first[2])} MiB; at 10% {mib(at_tenth[2])} MiB; peak {mib(peak)} MiB;"
                    f" end {mib(end[2])} MiB; {count / elapsed:.0f} messages/s"),
        "baseline": f"RSS after the first batch: {mib(first[2])} MiB",
        "ratio": f"peak - first batch = {growth} MiB",
        "goal": f"peak <= first batch + {GOAL_MIB} MiB",
        "met": growth <= GOAL_MIB,
    }


def _all_sent(db_path: Path, count: int) -> bool:
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as db:
        sent = db.execute("SELECT COUNT(*) FROM touchpoints_touchpoint "
                          "WHERE status = 'sent'").fetchone()[0]
    return sent >= count


if __name__ == "__main__":
    print(run())
