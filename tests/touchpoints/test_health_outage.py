"""/healthz?strict=1 answers 503 during an SMTP outage and while a batch is stuck in
`sending`: both derived from the rows and heartbeats the worker already writes. The mail
server is the tests' real aiosmtpd sink, told to answer 451."""

import datetime as dt

from django.utils import timezone

from followthrough.touchpoints import health, worker
from followthrough.touchpoints.models import Status
from tests.touchpoints.conftest import NOON


def pass_and_beat(now):
    """One worker pass, and its heartbeat as the worker process writes it."""
    report = worker.run_once(now=now)
    worker.WorkerProcess().beat(report, force=True)
    return report


def strict(client):
    response = client.get("/healthz?strict=1")
    return response.status_code, response.json()


def report_after_the_passes():
    """The health report half a minute after the passes, on the passes' clock (the worker
    ran at NOON; the heartbeats it wrote are real time and count as live either way)."""
    return health.check(now=NOON + dt.timedelta(minutes=1, seconds=30))


def test_it_reports_an_smtp_outage(sink, make_touchpoint):
    for _ in range(3):
        make_touchpoint()
    sink.answer("451 4.3.0 Mail server temporarily unavailable", times=3)
    assert pass_and_beat(NOON).retried == 3

    body = report_after_the_passes()
    assert body["status"] == "degraded"  # so /healthz?strict=1 answers 503
    assert body["sending"]["failed_recently"] == 3
    assert body["problems"] == ["3 sends failed in the last ten minutes and none went out: "
                                "is the mail server down?"]


def test_it_reports_ok_again_once_mail_goes_out(sink, make_touchpoint):
    for _ in range(3):
        make_touchpoint()
    sink.answer("451 4.3.0 Mail server temporarily unavailable", times=3)
    pass_and_beat(NOON)
    assert pass_and_beat(NOON + dt.timedelta(minutes=1)).sent == 3
    assert report_after_the_passes()["status"] == "ok"


def test_it_does_not_call_one_greylisted_message_an_outage(sink, make_touchpoint):
    make_touchpoint()
    make_touchpoint()
    sink.answer("451 4.7.1 Greylisted, try later")
    report = pass_and_beat(NOON)
    assert (report.sent, report.retried) == (1, 1)
    assert report_after_the_passes()["status"] == "ok"


def test_it_fails_the_strict_check_while_a_batch_is_stuck(client, make_touchpoint):
    worker.WorkerProcess().beat(force=True)
    make_touchpoint(status=Status.SENDING,
                    lease_until=timezone.now() - dt.timedelta(minutes=10))
    status, body = strict(client)
    assert status == 503
    assert body["sending"]["stuck"] == 1
    assert any("stuck in sending" in problem for problem in body["problems"])


def test_it_leaves_a_batch_inside_its_lease_alone(client, make_touchpoint):
    worker.WorkerProcess().beat(force=True)
    make_touchpoint(status=Status.SENDING,
                    lease_until=timezone.now() + dt.timedelta(minutes=4))
    assert strict(client)[0] == 200

