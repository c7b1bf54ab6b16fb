import pytest
from django.utils import timezone

from followthrough.channels import kinds
from followthrough.feedback import services as feedback_services
from followthrough.touchpoints.models import Status, Touchpoint


@pytest.fixture
def call(engagement):
    from followthrough.customers.models import Engagement

    stored = Engagement.objects.get(public_id=engagement["id"])
    return feedback_services.personal_touch(stored, "test:call", "Check-in call", "Ring them.",
                                            50, timezone.now())


def email_of(engagement):
    return next(t for t in engagement["touchpoints"] if t["channel"] == kinds.EMAIL)


def test_it_marks_a_call_done_with_a_note(api, call):
    response = api.post(f"/touchpoints/{call.public_id}/done", {"note": "Happy with the boiler."})

    assert response.status_code == 200
    assert response.json()["status"] == "done"
    call.refresh_from_db()
    assert (call.status, call.outcome_note) == (Status.DONE, "Happy with the boiler.")


def test_it_skips_a_touch_with_a_note(api, call):
    response = api.post(f"/touchpoints/{call.public_id}/skip", {"note": "They moved away."})

    assert response.json()["status"] == "skipped"
    call.refresh_from_db()
    assert call.outcome_note == "They moved away."


def test_it_refuses_to_mark_an_email_done(api, engagement):
    email = email_of(engagement)

    response = api.post(f"/touchpoints/{email['id']}/done", {"note": "Sent it myself"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "channel"
    assert Touchpoint.objects.get(public_id=email["id"]).status == Status.PLANNED


def test_it_refuses_a_touch_that_is_no_longer_planned(api, call):
    api.post(f"/touchpoints/{call.public_id}/done", {})

    response = api.post(f"/touchpoints/{call.public_id}/skip", {"note": "Changed my mind"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "status"
    call.refresh_from_db()
    assert call.status == Status.DONE
