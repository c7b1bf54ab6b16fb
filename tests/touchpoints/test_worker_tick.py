"""The minute's periodic work: worker_tick, sent by one worker of many, never fatal."""

import datetime as dt
import logging

from django.utils import timezone

from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Lease, WorkerHeartbeat
from followthrough.touchpoints.signals import worker_tick


def listen():
    calls = []

    def receiver(sender, now, **kwargs):
        calls.append(now)

    worker_tick.connect(receiver, weak=False, dispatch_uid="test-listener")
    return calls


def test_it_sends_the_tick_from_one_worker_of_two(db):
    calls = listen()
    try:
        worker.WorkerProcess().tick()
        worker.WorkerProcess().tick()
    finally:
        worker_tick.disconnect(dispatch_uid="test-listener")
    assert len(calls) == 1


def test_it_sends_the_tick_at_most_once_a_minute_per_process(db):
    calls = listen()
    process = worker.WorkerProcess()
    try:
        process.tick()
        Lease.objects.update(until=timezone.now() - dt.timedelta(seconds=1))
        process.tick()  # the process waits a minute before it asks again
    finally:
        worker_tick.disconnect(dispatch_uid="test-listener")
    assert len(calls) == 1


def test_it_logs_a_failing_receiver_and_carries_on(db, caplog):
    def broken(sender, now, **kwargs):
        raise RuntimeError("the digest broke")

    worker_tick.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with caplog.at_level(logging.ERROR, logger="followthrough.worker"):
            worker.WorkerProcess().tick()
    finally:
        worker_tick.disconnect(dispatch_uid="test-broken")
    assert "the digest broke" in caplog.text


def test_it_takes_a_lease_only_after_it_ran_out(db):
    now = timezone.now()
    assert worker.take_lease("job", "a", now + dt.timedelta(minutes=1), now)
    assert not worker.take_lease("job", "b", now + dt.timedelta(minutes=1), now)
    later = now + dt.timedelta(minutes=1)
    assert worker.take_lease("job", "b", later + dt.timedelta(minutes=1), later)
    assert Lease.objects.get(name="job").holder == "b"


def test_it_records_a_heartbeat_with_the_pass_counts(db):
    process = worker.WorkerProcess()
    process.after_pass(worker.PassReport(claimed=3, sent=2, retried=1))
    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker_id, beat.pid, beat.passes, beat.sent_total) == (
        process.worker_id, process.pid, 1, 2)
    assert beat.last_pass["sent"] == 2 and beat.last_pass["retried"] == 1


def test_it_forgets_its_heartbeat_when_it_stops(db):
    process = worker.WorkerProcess()
    process.beat(force=True)
    process.stopped()
    assert not WorkerHeartbeat.objects.exists()


def test_it_forgets_workers_silent_for_a_day(db):
    WorkerHeartbeat.objects.create(
        worker_id="gone", host="old", pid=1, started_at=timezone.now(),
        last_beat=timezone.now() - dt.timedelta(days=2))
    worker.WorkerProcess().tick()
    assert not WorkerHeartbeat.objects.filter(worker_id="gone").exists()
