"""The morning digest lists what customers wrote since yesterday and the messages waiting
to be matched; automatic answers are left out."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core import mail

from followthrough.agenda.digest import send_due_digests
from followthrough.channels.mailqueue import deliver_due
from followthrough.conversations.models import Mailbox, Message

NY = ZoneInfo("America/New_York")
MORNING = dt.datetime(2026, 6, 10, 7, 40, tzinfo=NY)


def message(business, customer, body, hours_ago=3, **fields):
    return Message.objects.create(business=business, customer=customer, direction="in",
                                  channel="sms", body=body,
                                  received_at=MORNING - dt.timedelta(hours=hours_ago), **fields)


def test_it_lists_new_replies_in_the_digest(business, owner, ada):
    message(business, ada, "Can you come\non Friday?")
    message(business, ada, "Still leaking", complaint_reason="the problem is still there")

    assert send_due_digests(MORNING) == 1
    deliver_due()  # the worker's mail queue sends it

    body = mail.outbox[0].body
    assert "Customers who wrote to you since yesterday:" in body
    assert 'Ada Lovelace (text): "Can you come on Friday?"' in body
    assert "Ada Lovelace (text), reads as a complaint" in body


def test_it_leaves_out_automatic_answers_and_old_replies(business, owner, ada):
    message(business, ada, "I'm away", automatic=Message.AUTO_REPLY)
    message(business, ada, "Last week's thanks", hours_ago=30)

    assert send_due_digests(MORNING) == 0  # nothing else to say: no email


def test_it_counts_unmatched_messages(business, owner):
    message(business, None, "Who is this?")

    send_due_digests(MORNING)
    deliver_due()

    assert "1 message from unknown senders to attach" in mail.outbox[0].body
    assert "/conversations/unmatched/" in mail.outbox[0].body


def test_it_says_when_the_mailbox_for_replies_cannot_be_read(business, owner):
    Mailbox.objects.create(business=business, host="imap.example.com",
                           username="replies@riverside.example",
                           last_error="The server's certificate could not be trusted.",
                           last_error_at=MORNING - dt.timedelta(hours=1))

    assert send_due_digests(MORNING) == 1
    deliver_due()

    body = mail.outbox[0].body
    # Plain text: an apostrophe stays an apostrophe.
    assert ("Replies can't be read from your mailbox replies@riverside.example: The "
            "server's certificate could not be trusted.") in body
    assert "/settings/mailbox/" in body


def test_it_says_nothing_of_a_mailbox_that_works_again(business, owner):
    Mailbox.objects.create(business=business, host="imap.example.com", username="replies",
                           last_error="Timed out.", last_error_at=MORNING - dt.timedelta(hours=2),
                           last_success_at=MORNING - dt.timedelta(hours=1))

    assert send_due_digests(MORNING) == 0
