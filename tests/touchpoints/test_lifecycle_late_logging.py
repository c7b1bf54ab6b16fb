"""A personal touch marked missed can still be logged done, with when it really happened,
and then it counts like any other (the delta and health read done rows; so does the cap)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from followthrough.agenda import services as agenda_services
from followthrough.channels import kinds
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Status
from followthrough.touchpoints.planning import cap_busy


@pytest.fixture
def missed_call(make_touchpoint):
    due = timezone.now() - dt.timedelta(days=9)
    return make_touchpoint(channel=kinds.CALL, due_at=due, status=Status.MISSED)


def test_it_logs_a_missed_call_done_at_the_time_it_happened(missed_call, owner):
    when = timezone.now() - dt.timedelta(days=2)
    services.complete_touch(missed_call, owner, "Rang them, all good.", when)
    missed_call.refresh_from_db()
    assert missed_call.status == Status.DONE
    assert missed_call.completed_at == when
    assert missed_call.due_at == when


def test_it_logs_it_now_without_a_time(missed_call, owner):
    before = timezone.now()
    services.complete_touch(missed_call, owner)
    missed_call.refresh_from_db()
    assert missed_call.status == Status.DONE
    assert missed_call.completed_at >= before


def test_it_counts_in_the_contact_budget_at_its_real_time(missed_call, owner, business):
    business.cap_includes_personal = True
    business.save()
    when = timezone.now() - dt.timedelta(hours=5)
    services.complete_touch(missed_call, owner, "", when)
    busy = list(cap_busy(business, missed_call.customer_id).values_list("due_at", flat=True))
    assert busy == [when]


def test_it_refuses_a_time_still_to_come(missed_call, owner):
    with pytest.raises(ValidationError) as caught:
        services.complete_touch(missed_call, owner, "", timezone.now() + dt.timedelta(hours=1))
    assert "when" in caught.value.message_dict
    missed_call.refresh_from_db()
    assert missed_call.status == Status.MISSED


def test_it_refuses_a_time_without_its_zone(missed_call, owner):
    with pytest.raises(ValidationError) as caught:
        services.complete_touch(missed_call, owner, "", dt.datetime(2026, 1, 1, 9))
    assert "when" in caught.value.message_dict


def test_it_still_refuses_a_missed_email(make_touchpoint, owner):
    email = make_touchpoint(status=Status.MISSED)
    with pytest.raises(ValidationError):
        services.complete_touch(email, owner)


def test_it_refuses_to_skip_a_missed_call(missed_call, owner):
    with pytest.raises(ValidationError) as caught:
        services.skip_touch(missed_call, owner, "never mind")
    assert "already missed" in caught.value.messages[0]


def test_it_takes_done_from_the_agenda_outcome(missed_call, owner):
    touch, text = agenda_services.record_outcome(missed_call, owner, agenda_services.REACHED)
    missed_call.refresh_from_db()
    assert missed_call.status == Status.DONE
    assert text.startswith("Logged late")


def test_it_refuses_no_answer_on_a_missed_call(missed_call, owner):
    with pytest.raises(ValidationError) as caught:
        agenda_services.record_outcome(missed_call, owner, agenda_services.NO_ANSWER_OUTCOME)
    assert "outcome" in caught.value.message_dict


def test_it_logs_it_from_the_page_with_its_time(missed_call, owner_client, business):
    url = reverse("touch_outcome", args=[missed_call.public_id])
    local = (timezone.now() - dt.timedelta(days=1)).astimezone(business.zone)
    response = owner_client.post(url, {"outcome": "reached", "outcome_note": "Happy",
                                       "when": local.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    missed_call.refresh_from_db()
    assert missed_call.status == Status.DONE
    assert missed_call.completed_at == local.replace(second=0, microsecond=0)
    assert missed_call.outcome_note == "Happy"


def test_it_takes_the_cards_done_button_on_a_missed_call(missed_call, owner_client):
    response = owner_client.post(reverse("touch_done", args=[missed_call.public_id]))
    assert response.status_code == 302
    missed_call.refresh_from_db()
    assert missed_call.status == Status.DONE


@pytest.mark.parametrize("when", ["yesterday", "2026-13-40T10:00", "9" * 200])
def test_it_names_the_field_for_a_bad_time_and_changes_nothing(missed_call, owner_client,
                                                                when):
    url = reverse("touch_outcome", args=[missed_call.public_id])
    response = owner_client.post(url, {"outcome": "reached", "when": when}, follow=True)
    assert "Give the date and time it happened" in response.content.decode()
    missed_call.refresh_from_db()
    assert missed_call.status == Status.MISSED


def test_it_shows_missed_calls_on_today(missed_call, owner_client, business):
    missed_call.due_at = timezone.now() - dt.timedelta(days=3)
    missed_call.save()
    page = owner_client.get(reverse("today")).content.decode()
    assert "Missed, or just not logged?" in page
    assert reverse("touch_outcome", args=[missed_call.public_id]) in page


def test_it_keeps_other_businesses_missed_calls_away(missed_call, outsider_client):
    response = outsider_client.post(reverse("touch_outcome", args=[missed_call.public_id]),
                                    {"outcome": "reached"})
    assert response.status_code == 404
    missed_call.refresh_from_db()
    assert missed_call.status == Status.MISSED
