"""The morning digest: once per person per local day, at their time, or not at all."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.management import call_command

from followthrough.agenda.digest import send_due_digests
from followthrough.agenda.models import Preference
from followthrough.channels.mailqueue import deliver_due
from followthrough.channels.models import QueuedMail

NY = ZoneInfo("America/New_York")


def at(hour, minute=0, day=10):
    return dt.datetime(2025, 6, day, hour, minute, tzinfo=NY)


def test_it_sends_the_digest_at_half_past_seven(business, owner, touch):
    touch(due_at=at(10))
    assert send_due_digests(at(7, 29)) == 0
    assert send_due_digests(at(7, 31)) == 1
    deliver_due()  # the worker's mail queue sends it
    assert "Thank-you call with Jamie Rivera" in mail.outbox[0].body
    assert mail.outbox[0].to == [owner.email]


def test_it_sends_once_per_day(business, owner, touch):
    touch(due_at=at(10))
    send_due_digests(at(7, 31))
    assert send_due_digests(at(8, 0)) == 0
    touch(due_at=at(10, day=11))
    assert send_due_digests(at(7, 45, day=11)) == 1


def test_it_honours_a_changed_time_and_switching_off(business, owner, staff, touch):
    touch(due_at=at(10))
    Preference.objects.create(business=business, user=owner, digest_time=dt.time(9, 0))
    Preference.objects.create(business=business, user=staff, digest_enabled=False)
    assert send_due_digests(at(8, 0)) == 0
    assert send_due_digests(at(9, 5)) == 1


def test_it_lists_overdue_promises(business, owner, customer):
    from followthrough.agenda.models import Promise
    Promise.objects.create(business=business, customer=customer, what="Send the manual",
                           due_on=dt.date(2025, 6, 8))
    send_due_digests(at(7, 40))
    deliver_due()
    assert "Send the manual" in mail.outbox[0].body


def test_it_writes_names_as_they_are_typed_in_the_plain_text_digest(business, owner,
                                                                     customer):
    from followthrough.agenda.models import Promise
    customer.name = "Sean O'Brien & <Sons>"
    customer.save()
    Promise.objects.create(business=business, customer=customer, what='Bring the "big" ladder',
                           due_on=dt.date(2025, 6, 8))
    send_due_digests(at(7, 40))
    deliver_due()
    assert 'Bring the "big" ladder, to Sean O\'Brien & <Sons>' in mail.outbox[0].body


def test_it_queues_the_digest_so_a_mail_server_outage_only_delays_it(business, owner, touch):
    touch(due_at=at(10))
    send_due_digests(at(7, 31))
    assert QueuedMail.objects.get().kind == "digest"
    assert mail.outbox == []


def test_it_runs_from_the_command(business, owner):
    call_command("digest")


def test_it_saves_digest_settings(owner_client, owner):
    owner_client.post("/settings/calendar/", {"action": "digest", "digest_enabled": "",
                                              "digest_time": "06:45"})
    preference = Preference.objects.get(user=owner)
    assert (preference.digest_enabled, preference.digest_time) == (False, dt.time(6, 45))
