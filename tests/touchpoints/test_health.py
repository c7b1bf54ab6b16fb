"""/healthz: the database, the workers' heartbeat and the sending lag, for monitoring."""

import datetime as dt

from django.utils import timezone

from followthrough.touchpoints.models import WorkerHeartbeat


def beat(seconds_ago: float) -> None:
    now = timezone.now()
    last_beat = now - dt.timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker_id=f"w{seconds_ago}", host="web1", pid=7,
                                   started_at=now, last_beat=last_beat)


def test_it_answers_without_signing_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_it_reports_ok_with_a_live_worker_and_nothing_waiting(client, db):
    beat(3)
    body = client.get("/healthz?strict=1").json()
    assert (body["status"], body["worker"]["live"], body["lag_seconds"]) == ("ok", 1, 0.0)


def test_it_reports_degraded_without_a_worker_but_stays_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "No worker has reported" in response.json()["problems"][0]


def test_it_fails_the_strict_check_when_the_worker_is_silent(client, db):
    beat(600)
    response = client.get("/healthz?strict=1")
    assert response.status_code == 503
    assert response.json()["worker"]["last_beat_age_seconds"] >= 600


def test_it_reports_the_lag_of_the_oldest_due_message(client, make_touchpoint):
    beat(1)
    make_touchpoint(due_at=timezone.now() - dt.timedelta(minutes=10))
    body = client.get("/healthz").json()
    assert 590 <= body["lag_seconds"] <= 700
    assert "waited" in body["problems"][0]


def test_it_shows_no_tenant_data(client, make_touchpoint):
    make_touchpoint(due_at=timezone.now() - dt.timedelta(minutes=10))
    text = client.get("/healthz").content.decode()
    assert "Riverside" not in text and "jamie" not in text.lower()


def test_it_refuses_a_post(client, db):
    assert client.post("/healthz").status_code == 405
