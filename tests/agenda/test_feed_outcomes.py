"""The calendar feed says what happened and what kind of touch each event is: promises kept
or broken are done (not cancelled), every touch names its stage, and calls remind."""

import datetime as dt

import pytest
import vobject
from django.utils import timezone
from icalendar import Calendar

from followthrough.agenda.models import Preference, Promise
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status


@pytest.fixture
def feed(client, business, owner):
    preference, _ = Preference.objects.get_or_create(business=business, user=owner)
    preference.feed_token = "c" * 22
    preference.save()

    def fetch():
        response = client.get(f"/cal/{preference.feed_token}.ics")
        assert response.status_code == 200
        return response.content

    return fetch


def events(body):
    return Calendar.from_ical(body).walk("VEVENT")


def promise(business, customer, status):
    return Promise.objects.create(
        business=business, customer=customer, what="Send the warranty",
        due_on=timezone.localdate() - dt.timedelta(days=1), status=status,
        resolved_at=timezone.now() if status != Promise.OPEN else None)


@pytest.mark.parametrize(("status", "word"), [(Promise.KEPT, "Kept"),
                                              (Promise.BROKEN, "Broken")])
def test_it_marks_a_resolved_promise_done_not_cancelled(feed, business, customer, status, word):
    promise(business, customer, status)
    (event,) = events(feed())
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]).startswith(f"{word}: Promise to Jamie Rivera")


def test_it_keeps_an_open_promise_confirmed_without_an_outcome(feed, business, customer):
    promise(business, customer, Promise.OPEN)
    (event,) = events(feed())
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]).startswith("Promise to Jamie Rivera")


def test_it_names_the_stage_of_each_touch_as_a_category(feed, touch):
    touch(channel=kinds.VISIT, due_at=timezone.now() + dt.timedelta(days=1))
    body = feed()
    (event,) = events(body)
    assert event["categories"].cats == ["After"]
    (vevent,) = vobject.readOne(body.decode()).vevent_list
    assert vevent.categories.value == ["After"]


def test_it_reminds_fifteen_minutes_before_a_call(feed, touch):
    touch(channel=kinds.CALL, due_at=timezone.now() + dt.timedelta(days=1))
    (event,) = events(feed())
    (alarm,) = event.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=15)
    assert "Call Jamie Rivera" in str(alarm["description"])


def test_it_sets_no_alarm_on_a_visit(feed, touch):
    touch(channel=kinds.VISIT, due_at=timezone.now() + dt.timedelta(days=1))
    (event,) = events(feed())
    assert event.walk("VALARM") == []


def test_it_sets_no_alarm_on_a_call_already_done(feed, touch):
    touch(channel=kinds.CALL, status=Status.DONE)
    (event,) = events(feed())
    assert event.walk("VALARM") == []
