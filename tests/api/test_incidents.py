import pytest

from followthrough.customers.models import Customer
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Incident
from followthrough.touchpoints.models import Touchpoint


@pytest.fixture
def incident(engagement):
    touchpoint = Touchpoint.objects.get(public_id=engagement["touchpoints"][0]["id"])
    response = feedback_services.submit_response(touchpoint, {"nps": 2, "improve": "Late."})
    return Incident.objects.get(response=response)


def test_it_lists_open_incidents(api, incident):
    items = api.get("/incidents", {"is_open": True}).json()["items"]

    assert [i["id"] for i in items] == [incident.public_id]
    assert items[0]["reason"] == "nps" and items[0]["summary"] == "Late."


def test_it_gets_an_incident_with_its_feedback(api, incident):
    body = api.get(f"/incidents/{incident.public_id}").json()

    assert body["feedback"] == incident.response.public_id
    assert body["is_open"] is True and body["resolved_at"] is None


def test_it_resolves_an_incident_with_a_note(api, incident):
    response = api.post(f"/incidents/{incident.public_id}/resolve",
                        {"note": "Called, refunded the call-out."})

    assert response.status_code == 200
    body = response.json()
    assert body["is_open"] is False
    assert body["resolution_note"] == "Called, refunded the call-out."
    assert not Customer.objects.get(pk=incident.customer_id).marketing_hold
    assert api.get("/incidents", {"is_open": True}).json()["items"] == []


def test_it_refuses_to_resolve_twice(api, incident):
    api.post(f"/incidents/{incident.public_id}/resolve", {"note": "Fixed."})

    response = api.post(f"/incidents/{incident.public_id}/resolve", {"note": "Again."})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "status"
    incident.refresh_from_db()
    assert incident.resolution_note == "Fixed."
