"""Leases: rows whose worker died mid-send, named leases for once-only periodic work, and
each worker process's heartbeat.

A claimed row holds a lease (lease_until); the reaper puts rows whose lease ran out back to
planned. A named Lease row lets one worker of many do the minute's periodic work."""

import datetime as dt
import logging
import os
import socket
from dataclasses import asdict

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import F
from django.utils import timezone

from followthrough.tokens import new_public_id
from followthrough.touchpoints import archive, lifecycle
from followthrough.touchpoints.models import Lease, Reason, Status, Touchpoint, WorkerHeartbeat
from followthrough.touchpoints.ratelimits import setting_int
from followthrough.touchpoints.signals import worker_tick

log = logging.getLogger("followthrough.worker")

LOST_TOO_OFTEN = "Gave up: the worker stopped while sending this message too many times."


# The reaper's moves, declared against the lifecycle's table once, at import: its updates
# run on every pass, idle ones too, so they stay plain single-filter updates.
REAP_MOVES = ((Status.SENDING, Status.FAILED), (Status.SENDING, Status.PLANNED))
for _from, _to in REAP_MOVES:
    lifecycle.check(_from, _to)


def reap(now: dt.datetime) -> int:
    """Put rows whose lease expired back to planned; they will be sent (again).

    The lost attempt counts: a row that kills its worker every time (a crash, an
    out-of-memory kill) is failed after WORKER_MAX_ATTEMPTS instead of coming back for ever."""
    expired = Touchpoint.objects.filter(status=Status.SENDING, lease_until__lt=now)
    given_up = expired.filter(attempts__gte=settings.WORKER_MAX_ATTEMPTS - 1).update(
        status=Status.FAILED, reason_code=Reason.SEND_FAILED, lease_until=None, claimed_by="",
        updated_at=now, attempts=F("attempts") + 1, last_error=LOST_TOO_OFTEN,
    )
    if given_up:
        log.error("%d touchpoint(s) failed: the worker stopped while sending them %d times",
                  given_up, settings.WORKER_MAX_ATTEMPTS)
    return expired.update(
        status=Status.PLANNED, lease_until=None, claimed_by="", updated_at=now,
        attempts=F("attempts") + 1,
        last_error="The worker stopped before recording the send; sending again.",
    )


def take_lease(name: str, holder: str, until: dt.datetime, now: dt.datetime) -> bool:
    """Take the named lease until `until` if nobody holds it now; True when we got it."""
    Lease.objects.get_or_create(name=name, defaults={"until": now - dt.timedelta(seconds=1)})
    return Lease.objects.filter(name=name, until__lte=now).update(holder=holder, until=until) == 1


TICK_SECONDS = 60
BEAT_SECONDS = 5
# A worker that has not beaten for a day is gone; its row is removed.
FORGET_AFTER = dt.timedelta(days=1)


class WorkerProcess:
    """What a `followthrough worker` process keeps between passes: its id, its heartbeat
    row and when it last looked at the minute's periodic work."""

    def __init__(self):
        self.host = socket.gethostname()[:200]
        self.pid = os.getpid()
        self.worker_id = f"{self.host[:40]}:{self.pid}:{new_public_id()[:8]}"
        self.started_at = timezone.now()
        self.passes = 0
        self.sent_total = 0
        self.last_beat: dt.datetime | None = None
        self.next_tick: dt.datetime | None = None

    def beat(self, report=None, force: bool = False) -> None:
        now = timezone.now()
        if not force and self.last_beat and (now - self.last_beat).total_seconds() < BEAT_SECONDS:
            return
        values = {"host": self.host, "pid": self.pid, "started_at": self.started_at,
                  "last_beat": now, "passes": self.passes, "sent_total": self.sent_total}
        if report is not None and report.busy:
            values["last_pass"] = asdict(report)
        WorkerHeartbeat.objects.update_or_create(worker_id=self.worker_id, defaults=values)
        self.last_beat = now

    def after_pass(self, report) -> None:
        self.passes += 1
        self.sent_total += report.sent
        self.beat(report, force=report.busy)
        self.tick()

    def tick(self) -> None:
        """Once a minute, try to take the minute's lease; the worker that gets it sends
        worker_tick (digests, reminder top-up, the archive)."""
        now = timezone.now()
        if self.next_tick and now < self.next_tick:
            return
        self.next_tick = now + dt.timedelta(seconds=TICK_SECONDS)
        minute_end = now.replace(second=0, microsecond=0) + dt.timedelta(seconds=TICK_SECONDS)
        if not take_lease("worker_tick", self.worker_id, minute_end, now):
            return
        WorkerHeartbeat.objects.filter(last_beat__lt=now - FORGET_AFTER).delete()
        apply_archive_policy(self.worker_id, now)
        for receiver, result in worker_tick.send_robust(sender=None, now=now):
            if isinstance(result, Exception):
                log.error("periodic task %s failed: %r", getattr(receiver, "__name__", receiver),
                          result, exc_info=result)

    def stopped(self) -> None:
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except (OperationalError, InterfaceError):  # the database is down: nothing to tidy
            pass


def apply_archive_policy(holder: str, now: dt.datetime) -> None:
    """Once a day (a lease), clear or delete old finished rows per ARCHIVE_AFTER_DAYS and
    ARCHIVE_DELETE_AFTER_DAYS; both off (0) by default."""
    clear_days = setting_int("ARCHIVE_AFTER_DAYS", 0)
    delete_days = setting_int("ARCHIVE_DELETE_AFTER_DAYS", 0)
    if clear_days <= 0 and delete_days <= 0:
        return
    if not take_lease("touchpoints.archive", holder, now + dt.timedelta(days=1), now):
        return
    try:
        done = archive.apply_policy(clear_days, delete_days, now)
    except Exception:
        log.exception("the archive run failed; it is tried again tomorrow")
        return
    if any(done.values()):
        log.info("archive: cleared the text of %(cleared)d and deleted %(deleted)d "
                 "finished touchpoint(s)", done)
