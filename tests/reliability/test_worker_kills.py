"""Four workers on PostgreSQL send to an aiosmtpd sink while one of them is SIGKILLed again
and again (and restarted). Counted at the sink: every touchpoint arrives at least once, the
duplicates are no more than the kills, and no row is left stuck.

Each worker claims one row at a time (WORKER_BATCH_SIZE=1, one send thread), so at most one
message per worker is accepted by the sink but not yet recorded when it dies: the bound
"duplicates ≤ kills" is then exact. With bigger batches the bound is kills × batch size
(docs/operations.md).

The issue's full figures are 5,000 messages and ten kills: `make chaos` runs them (about
95 s on a 2-core machine). In `make test` the run is scaled down to 2,000 messages, still
with ten kills, to stay near 40 s. RELIABILITY_MESSAGES and RELIABILITY_KILLS set the sizes."""

import random
import time

import pytest

from followthrough.touchpoints.models import Status
from tests.reliability import harness

pytestmark = pytest.mark.postgres

MESSAGES = harness.env_int("RELIABILITY_MESSAGES", 2000)
KILLS = harness.env_int("RELIABILITY_KILLS", 10)
WORKERS = 4


def test_it_loses_nothing_when_workers_are_killed(pg_db, sink, tmp_path):
    env = harness.base_environment(pg_db.url, sink.port, tmp_path)
    harness.seed(env, MESSAGES, businesses=3)
    workers = harness.Workers(env, tmp_path)
    rng = random.Random(20260610)
    started = time.monotonic()
    workers.start(WORKERS)
    try:
        # Spread the kills over the run: one each time another slice has arrived.
        for n in range(1, KILLS + 1):
            harness.wait_until(lambda n=n: len(sink.messages) >= MESSAGES * n // (KILLS + 2),
                               timeout=60, what=f"kill {n}'s share of messages")
            time.sleep(rng.random() * 0.05)
            workers.kill_one(rng)
        harness.wait_until(lambda: pg_db.statuses() == {Status.SENT: MESSAGES}, timeout=60,
                           what="every row to be sent")
        assert workers.alive() == WORKERS
    finally:
        codes = workers.stop()
    elapsed = time.monotonic() - started

    received = sink.message_ids()
    duplicates = len(received) - len(set(received))
    assert set(received) == pg_db.message_ids()  # every touchpoint, at least once
    assert duplicates <= workers.kills == KILLS
    assert codes == [0] * WORKERS  # SIGTERM lets each finish its batch and exit cleanly
    assert pg_db.statuses() == {Status.SENT: MESSAGES}  # nothing stuck in sending
    print(f"\n{MESSAGES} messages, {KILLS} kills, {duplicates} duplicates, {elapsed:.1f} s")
