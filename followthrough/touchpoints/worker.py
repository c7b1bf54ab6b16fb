"""The worker: sends due automated touchpoints. The touchpoint table is its queue.

One pass (`run_once`):

1. the reaper puts rows whose lease expired (their worker died mid-send) back to planned;
2. a batch of due rows is claimed with a conditional update, planned → sending, with a lease
   and a claim token (SELECT … FOR UPDATE SKIP LOCKED picks the rows on PostgreSQL; on SQLite
   the IMMEDIATE transaction holds the write lock from the pick to the update);
3. each row is re-checked just before sending: cancellation, consent, address, lateness and
   quiet hours can all have changed since it was planned;
4. the rest are rendered on the main thread and sent by a few threads, each over an SMTP
   connection kept open for the whole pass; while they send, the main thread claims and
   prepares the next batch, so at most two batches hold a lease at once;
5. the outcomes are written back in one executemany: sent, planned again with backoff, or
   failed. Rows whose lease we lost in the meantime are left to their new owner.

Delivery is at least once, honestly. A row becomes `sent` only after the SMTP server has
accepted the message; if the worker dies between the two, the lease runs out, the reaper
puts the row back and it is sent again. Duplicates can happen only for the rows in flight at
a crash, and a resend carries the same Message-ID, derived from the idempotency key.

The parts live in their own modules: claiming (due rows, the fair pick, the claim),
ratelimits (send budgets), leases (the reaper, named leases, heartbeats), rechecks (what is
read again just before sending) and delivery (compose, send, record). This module runs the
pass and the process loop; it imports them, never the other way round.
"""

import datetime as dt
import logging
import threading
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import close_old_connections, connections
from django.dispatch import Signal
from django.utils import timezone

from followthrough.channels.transports import OutgoingEmail, TransportError
from followthrough.touchpoints.claiming import claim, due_rows
from followthrough.touchpoints.delivery import (
    DATABASE_DOWN,
    MAX_BACKOFF,
    UNCONFIRMED,
    Dispatcher,
    Sending,
    backoff,
    compose,
    publish_sent,
    record_send,
    save,
    suppress_bounced,
    unbuildable,
)
from followthrough.touchpoints.leases import (
    WorkerProcess,
    apply_archive_policy,
    reap,
    take_lease,
)
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import replan_ended_repeats
from followthrough.touchpoints.ratelimits import throttle_pause
from followthrough.touchpoints.rechecks import (
    UNSUBSCRIBED,
    contactable,
    recheck,
    refresh_cancellations,
)

# What other modules, the CLI, tests and bench/ use from here.
__all__ = [
    "MAX_BACKOFF", "UNSUBSCRIBED", "Dispatcher", "PassReport", "WorkerProcess",
    "apply_archive_policy", "backoff", "claim", "compose", "due_rows", "pass_finished",
    "process", "reap", "run_forever", "run_once", "take_lease",
]

log = logging.getLogger("followthrough.worker")

# Sent after every pass (report=PassReport); integrations deliver due webhooks on it.
pass_finished = Signal()


@dataclass
class PassReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    reclaimed: int = 0
    cancelled: int = 0
    missed: int = 0
    moved: int = 0
    paused: int = 0
    # Claims cut short by a send-rate limit; the rest wait for the next second.
    throttled: int = 0

    @property
    def busy(self) -> bool:
        return any(asdict(self).values())

    def __str__(self) -> str:
        return " ".join(f"{name}={count}" for name, count in asdict(self).items())


# Passes -------------------------------------------------------------------------------------

@dataclass
class Batch:
    token: str
    rows: list[Touchpoint]
    now: dt.datetime
    outcomes: list[str]
    ready: list[tuple[Touchpoint, OutgoingEmail]]
    sending: Sending | None = None


def prepare(rows: list[Touchpoint], token: str, now: dt.datetime) -> Batch:
    """Re-check every row, and compose the messages of those still to be sent."""
    batch = Batch(token, rows, now, outcomes=[], ready=[])
    refresh_cancellations(rows)
    allowed = contactable(rows)
    quiet_ends: dict = {}  # per business, for this batch
    for row in rows:
        # One row's bad data (a header it cannot hold, a broken zone, a template that
        # fails) fails that row alone; the rest of the batch, any business's, still goes.
        try:
            outcome = recheck(row, now, row.id in allowed, quiet_ends)
            if outcome is None:
                batch.ready.append((row, compose(row)))
                continue
        except TransportError as exc:
            outcome = record_send(row, exc, now)
        except Exception as exc:
            outcome = unbuildable(row, exc)
        batch.outcomes.append(outcome)
    return batch


def finish(batch: Batch, report: PassReport) -> None:
    """Wait for the batch's sends, then record every outcome in one go."""
    results = batch.sending.results() if batch.sending else {}
    batch.outcomes += [record_send(row, results.get(row.id, UNCONFIRMED), batch.now)
                       for row, _ in batch.ready]
    save(batch.rows, batch.token, batch.now)
    for outcome in batch.outcomes:
        setattr(report, outcome, getattr(report, outcome) + 1)
    bounced = [row for row, _ in batch.ready if getattr(results.get(row.id), "bounced", False)]
    if bounced:
        suppress_bounced(bounced)
    publish_sent([row for row, _ in batch.ready if row.status == Status.SENT], batch.now)
    replan_ended_repeats(batch.rows)


def send_batch(batch: Batch, dispatcher: Dispatcher) -> Batch:
    batch.sending = dispatcher.submit([(row.id, outgoing) for row, outgoing in batch.ready])
    return batch


def process(rows: list[Touchpoint], token: str, now: dt.datetime, dispatcher: Dispatcher,
            report: PassReport) -> None:
    """Re-check, send and record one claimed batch."""
    finish(send_batch(prepare(rows, token, now), dispatcher), report)


def run_once(now: dt.datetime | None = None, stop: threading.Event | None = None,
             between_batches=None) -> PassReport:
    """Reap, then claim and send batches until nothing is due (or `stop` is set, or a
    send-rate limit is reached for this second).

    While one batch is being sent, the next is claimed and prepared."""
    report = PassReport(reclaimed=reap(now or timezone.now()))
    in_flight = None
    with Dispatcher(settings.WORKER_SEND_THREADS) as dispatcher:
        while not (stop and stop.is_set()):
            batch_now = now or timezone.now()
            throttled_before = report.throttled
            token, rows = claim(batch_now, settings.WORKER_BATCH_SIZE, report)
            report.claimed += len(rows)
            batch = prepare(rows, token, batch_now) if rows else None
            if in_flight:
                finish(in_flight, report)
            in_flight = send_batch(batch, dispatcher) if batch else None
            if between_batches:
                between_batches(report)
            # A rate limit that left part of the batch empty ends the pass; the worker waits
            # for the buckets to refill instead of spinning.
            limited = report.throttled > throttled_before
            if not rows or (limited and len(rows) < settings.WORKER_BATCH_SIZE):
                break
        if in_flight:
            finish(in_flight, report)
    log.log(logging.INFO if report.busy else logging.DEBUG, "worker pass: %s", report)
    for _receiver, result in pass_finished.send_robust(sender=None, report=report):
        if isinstance(result, Exception):
            log.error("after-pass task failed: %r", result)
    return report


def reset_connections() -> None:
    """Drop every database connection, so the next query opens a fresh one (after a
    database restart the old sockets are dead)."""
    for conn in connections.all():
        try:
            conn.close()
        except Exception:  # noqa: S110 - a dead connection has nothing left to close
            pass


def run_forever(stop: threading.Event) -> None:
    """Pass after pass until `stop` is set; a stop lets the current batch finish first.

    A database that goes away (restart, failover) never ends the worker: it logs, drops its
    connections and tries again with a growing pause, up to 30 seconds."""
    process = WorkerProcess()
    log.info("worker started: %s", process.worker_id)
    failures = 0
    while not stop.is_set():
        try:
            report = run_once(stop=stop, between_batches=lambda r: process.beat(r))
            process.after_pass(report)
            failures = 0
        except DATABASE_DOWN as exc:
            failures += 1
            log.warning("worker pass failed, database unavailable (attempt %d): %s",
                        failures, str(exc).strip().splitlines()[0] if str(exc) else exc)
            reset_connections()
            stop.wait(min(0.5 * 2 ** min(failures, 6), 30))
            continue
        except Exception:
            failures += 1
            log.exception("worker pass failed")
            reset_connections()
            stop.wait(min(0.5 * 2 ** min(failures, 6), 30))
            continue
        close_old_connections()
        if report.throttled:
            stop.wait(throttle_pause())
        elif not report.claimed:
            stop.wait(settings.WORKER_IDLE_SECONDS)
    process.stopped()
    log.info("worker stopped: %s", process.worker_id)
