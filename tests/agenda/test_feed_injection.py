"""Hostile text in the calendar feed stays inside its own property: CR, LF, ; , and
BEGIN:VEVENT in names and notes cannot add properties or components."""

import datetime as dt
import re

import pytest
import vobject
from django.utils import timezone
from icalendar import Calendar

from followthrough.agenda.feed import ical_text
from followthrough.agenda.models import Preference
from followthrough.channels import kinds
from followthrough.customers.models import Customer

# No NUL: PostgreSQL refuses it in text before the feed could see it.
HOSTILE = ("Jo\rBEGIN:VEVENT\rUID:evil\r\nX-EVIL:1\nEND:VEVENT\x0bSUMMARY:x;y,z\\"
           "\x01\u2028ATTACH:file:///etc/passwd")


@pytest.fixture
def feed(client, business, owner):
    preference, _ = Preference.objects.get_or_create(business=business, user=owner)
    preference.feed_token = "b" * 22
    preference.save()
    return lambda: client.get(f"/cal/{preference.feed_token}.ics").content


def test_it_keeps_hostile_text_inside_its_property(feed, business, touch):
    row = touch(channel=kinds.VISIT, due_at=timezone.now() + dt.timedelta(days=2))
    Customer.objects.filter(pk=row.customer_id).update(
        name=HOSTILE, defining_moment=HOSTILE, postal_address=HOSTILE)
    business.name = HOSTILE
    business.save()
    body = feed()
    lines = re.split(rb"\r\n|\r|\n", body)
    assert lines.count(b"BEGIN:VEVENT") == 1
    assert not any(line.startswith((b"X-EVIL", b"UID:evil", b"ATTACH")) for line in lines)
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", body)
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert "BEGIN:VEVENT" in str(event["summary"]) and "x;y,z\\" in str(event["summary"])
    assert len(vobject.readOne(body.decode()).vevent_list) == 1


def test_it_keeps_hostile_text_inside_the_call_alarm(feed, touch):
    row = touch(channel=kinds.CALL, due_at=timezone.now() + dt.timedelta(days=2))
    Customer.objects.filter(pk=row.customer_id).update(name=HOSTILE)
    body = feed()
    lines = re.split(rb"\r\n|\r|\n", body)
    assert lines.count(b"BEGIN:VALARM") == 1 and lines.count(b"BEGIN:VEVENT") == 1
    assert not any(line.startswith((b"X-EVIL", b"UID:evil", b"ATTACH")) for line in lines)
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    (alarm,) = event.walk("VALARM")
    assert "BEGIN:VEVENT" in str(alarm["description"])
    assert len(vobject.readOne(body.decode()).vevent_list) == 1


def test_it_turns_every_line_break_into_one_the_format_escapes():
    assert ical_text("a\rb\r\nc\u2028d\x85e\x0bf\tg\x00h") == "a\nb\nc\nd\ne\nf gh"
