"""The API logs a missed personal touch late, with when it happened."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.customers.models import Engagement
from followthrough.feedback import services as feedback_services
from followthrough.touchpoints.models import Origin, Status, Touchpoint


@pytest.fixture
def missed_call(engagement):
    stored = Engagement.objects.get(public_id=engagement["id"])
    call = feedback_services.personal_touch(stored, "test:call", "Check-in call", "Ring them.",
                                            50, timezone.now() - dt.timedelta(days=9),
                                            origin=Origin.FOLLOW_UP)
    Touchpoint.objects.filter(pk=call.pk).update(status=Status.MISSED)
    return call


def test_it_marks_a_missed_call_done_at_its_time(api, missed_call):
    when = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0)
    response = api.post(f"/touchpoints/{missed_call.public_id}/done",
                        {"note": "Rang them late.", "when": when.isoformat()})
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    missed_call.refresh_from_db()
    assert (missed_call.status, missed_call.completed_at) == (Status.DONE, when)


def test_it_refuses_a_time_still_to_come(api, missed_call):
    later = timezone.now() + dt.timedelta(days=1)
    response = api.post(f"/touchpoints/{missed_call.public_id}/done",
                        {"when": later.isoformat()})
    assert response.status_code in (400, 422)
    assert "when" in response.content.decode()
    missed_call.refresh_from_db()
    assert missed_call.status == Status.MISSED
