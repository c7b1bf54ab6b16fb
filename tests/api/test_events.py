from followthrough.customers.models import Engagement

from .conftest import iso, recently


def test_it_replans_when_the_job_is_delivered(api, engagement):
    before = {t["step"] for t in engagement["touchpoints"]}

    response = api.post(f"/engagements/{engagement['id']}/events",
                        {"event": "delivered", "at": iso(recently(0))})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "delivered"
    after = {t["step"] for t in body["touchpoints"] if t["status"] == "planned"}
    assert "Review request" in after - before


def test_it_records_the_event_date(api, engagement):
    at = recently(0)

    api.post(f"/engagements/{engagement['id']}/events", {"event": "started", "at": iso(at)})

    assert Engagement.objects.get(public_id=engagement["id"]).started_at == at


def test_it_cancels_planned_touchpoints_when_cancelled(api, engagement):
    response = api.post(f"/engagements/{engagement['id']}/events",
                        {"event": "cancelled", "at": iso(recently(0))})

    assert response.status_code == 200
    statuses = {t["status"] for t in response.json()["touchpoints"]}
    assert "planned" not in statuses


def test_it_refuses_an_unknown_event(api, engagement):
    response = api.post(f"/engagements/{engagement['id']}/events",
                        {"event": "exploded", "at": iso(recently(0))})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "event"
