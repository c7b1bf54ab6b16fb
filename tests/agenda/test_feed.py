"""The calendar feed: two independent parsers, stable UIDs, SEQUENCE, cancellations."""

import datetime as dt
import re

import vobject
from django.utils import timezone
from icalendar import Calendar

from followthrough.agenda.models import Preference
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status, Touchpoint


def feed_token(business, user):
    preference, _ = Preference.objects.get_or_create(business=business, user=user)
    preference.feed_token = "a" * 22
    preference.save()
    return preference.feed_token


def fetch(client, token):
    response = client.get(f"/cal/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return response.content


def events(body):
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_it_parses_with_two_independent_parsers(client, business, owner, touch):
    touchpoint = touch(channel=kinds.VISIT, due_at=timezone.now() + dt.timedelta(days=2))
    body = fetch(client, feed_token(business, owner))
    (event,) = events(body)
    assert str(event["uid"]) == f"touch-{touchpoint.public_id}@followthrough"
    assert event.decoded("dtstart") == touchpoint.due_at.replace(microsecond=0)
    parsed = vobject.readOne(body.decode())
    (vevent,) = parsed.vevent_list
    assert vevent.uid.value == f"touch-{touchpoint.public_id}@followthrough"
    assert vevent.dtstart.value == touchpoint.due_at.replace(microsecond=0)
    assert vevent.url.value.endswith(f"/customers/{touchpoint.customer.public_id}/")
    assert "Jamie Rivera" in vevent.summary.value


def test_it_uses_events_not_tasks(client, business, owner, touch):
    touch()
    body = fetch(client, feed_token(business, owner))
    components = set(re.findall(rb"^BEGIN:(\w+)", body, flags=re.M))
    assert b"VEVENT" in components
    assert components <= {b"VCALENDAR", b"VEVENT", b"VALARM", b"VTIMEZONE", b"STANDARD",
                          b"DAYLIGHT"}


def test_it_keeps_the_uid_and_raises_the_sequence_on_change(client, business, owner, touch):
    touchpoint = touch(due_at=timezone.now() + dt.timedelta(days=1))
    token = feed_token(business, owner)
    (before,) = events(fetch(client, token))
    Touchpoint.objects.filter(pk=touchpoint.pk).update(
        due_at=touchpoint.due_at + dt.timedelta(days=1),
        updated_at=touchpoint.updated_at + dt.timedelta(seconds=5),
    )
    (after,) = events(fetch(client, token))
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) > int(before["sequence"])


def test_it_keeps_recent_cancellations_as_cancelled(client, business, owner, touch):
    touch(status=Status.CANCELLED)
    old = touch(status=Status.CANCELLED)
    Touchpoint.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=31))
    (event,) = events(fetch(client, feed_token(business, owner)))
    assert str(event["status"]) == "CANCELLED"


def test_it_leaves_out_other_peoples_touches(client, business, owner, staff, touch):
    touch(who=staff)
    assert events(fetch(client, feed_token(business, owner))) == []


def test_it_refuses_a_forged_token(client, business, owner):
    feed_token(business, owner)
    assert client.get("/cal/" + "b" * 22 + ".ics").status_code == 404


def test_it_renews_and_revokes_the_link(owner_client, business, owner):
    owner_client.post("/settings/calendar/", {"action": "renew"})
    token = Preference.objects.get(user=owner).feed_token
    assert len(token) >= 22
    assert token in owner_client.get("/settings/calendar/").text
    owner_client.post("/settings/calendar/", {"action": "renew"})
    assert owner_client.get(f"/cal/{token}.ics").status_code == 404
    owner_client.post("/settings/calendar/", {"action": "revoke"})
    assert Preference.objects.get(user=owner).feed_token is None


def test_it_lets_staff_manage_their_own_link(client, staff):
    client.force_login(staff)
    client.post("/settings/calendar/", {"action": "renew"})
    assert Preference.objects.get(user=staff).feed_token
