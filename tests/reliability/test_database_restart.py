"""PostgreSQL goes away in the middle of a run: the workers log it, reconnect and carry on,
and nothing is lost.

In CI (CI=true, running as root) the server is really restarted with pg_ctlcluster. Elsewhere
the default is the stand-in: pg_terminate_backend on every connection to the test database,
which the workers see the same way (their sockets die mid-query) without disturbing anyone
else using the server. RELIABILITY_PG_RESTART=restart or =terminate picks one."""

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connections

from followthrough.touchpoints.models import Status
from tests.reliability import harness

pytestmark = pytest.mark.postgres

IN_CI = os.environ.get("CI", "").lower() == "true"
MODE = os.environ.get("RELIABILITY_PG_RESTART") or ("restart" if IN_CI else "terminate")


def restart_server() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, timeout=60, capture_output=True)


def terminate_connections(database: str) -> int:
    with harness.admin_connection() as db:
        rows = db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
        return len(rows.fetchall())


def test_it_carries_on_after_the_database_restarts(pg_db, sink, tmp_path):
    messages = harness.env_int("RELIABILITY_RESTART_MESSAGES", 1500)
    env = harness.base_environment(pg_db.url, sink.port, tmp_path, WORKER_BATCH_SIZE=5)
    harness.seed(env, messages)
    sink.slow_down(0.002)
    workers = harness.Workers(env, tmp_path)
    workers.start(4)
    try:
        harness.wait_until(lambda: len(sink.messages) >= messages // 3, timeout=60,
                           what="a third of the messages")
        if MODE == "restart" and Path("/etc/postgresql").is_dir():
            restart_server()
        else:
            assert terminate_connections(pg_db.name) >= 1
        # This process's own Django connection died with the restart too: drop it.
        connections.close_all()
        harness.wait_until(lambda: pg_db.statuses() == {Status.SENT: messages}, timeout=60,
                           what="every row to be sent after the restart")
        assert workers.alive() == 4
    finally:
        workers.stop()
    logs = workers.logs()
    assert "database unavailable" in logs or "worker pass failed" in logs
    received = sink.message_ids()
    duplicates = len(received) - len(set(received))
    assert set(received) == pg_db.message_ids()
    # Only the batches in flight at the restart can go twice: two per worker at most.
    assert duplicates <= 4 * 2 * 5
