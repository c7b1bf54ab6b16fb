"""A sink that refuses a fifth of the messages with 4xx, and a sink that is down for a
while: after it all, nothing is lost, nothing is sent twice, and the backoff shows.

RELIABILITY_OUTAGE_SECONDS sets the outage (20 s, the issue's figure)."""

import time

import pytest

from followthrough.touchpoints.models import Status
from tests.reliability import harness

pytestmark = pytest.mark.postgres

OUTAGE = harness.env_int("RELIABILITY_OUTAGE_SECONDS", 20)


def test_it_delivers_everything_through_a_sink_refusing_a_fifth(pg_db, tmp_path):
    sink = harness.start_sink(harness.FlakyHandler(refuse_share=0.2))
    messages = harness.env_int("RELIABILITY_FLAKY_MESSAGES", 600)
    env = harness.base_environment(pg_db.url, sink.port, tmp_path, WORKER_BATCH_SIZE=20,
                                   WORKER_SEND_THREADS=2)
    harness.seed(env, messages)
    workers = harness.Workers(env, tmp_path)
    workers.start(2)
    try:
        harness.wait_until(lambda: pg_db.statuses() == {Status.SENT: messages}, timeout=60,
                           what="every row to be sent")
    finally:
        workers.stop()
        sink.stop()
    received = sink.message_ids()
    assert sorted(received) == sorted(pg_db.message_ids())  # all of them, each exactly once
    retried = pg_db.query("SELECT COUNT(*) FROM touchpoints_touchpoint WHERE attempts > 1")[0][0]
    assert sink.handler.refused >= messages * 0.15
    assert retried >= messages * 0.15


def test_it_sends_everything_after_a_sink_outage_with_backoff(pg_db, sink, tmp_path):
    messages = 300
    env = harness.base_environment(pg_db.url, sink.port, tmp_path, WORKER_BATCH_SIZE=20,
                                   WORKER_SEND_THREADS=2)
    harness.seed(env, messages)
    sink.stop()
    workers = harness.Workers(env, tmp_path)
    workers.start(2)
    try:
        time.sleep(OUTAGE)
        during = pg_db.query(
            "SELECT attempts, EXTRACT(EPOCH FROM due_at - updated_at) "
            "FROM touchpoints_touchpoint WHERE status = 'planned'")
        sink.start()
        harness.wait_until(lambda: pg_db.statuses() == {Status.SENT: messages},
                           timeout=OUTAGE + 40, what="every row to be sent after the outage")
    finally:
        workers.stop()
    # Backoff: each row waits WORKER_BACKOFF_SECONDS × 2^(attempts - 1) before its next try,
    # and over the outage the waits grew to several seconds.
    assert during and max(attempts for attempts, _ in during) >= 3
    assert all(abs(float(wait) - 2 ** (attempts - 1)) < 1 for attempts, wait in during)
    assert "unreachable" in workers.logs() or "retried=" in workers.logs()
    received = sink.message_ids()
    assert sorted(received) == sorted(pg_db.message_ids())
