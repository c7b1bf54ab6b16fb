"""A business's own mailbox, end to end: Debian's dovecot-imapd holds the mail (put there
with IMAP APPEND), the real worker pass reads it through the same pipeline as the
providers' webhooks, and the reply shows on the customer's page."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from followthrough.conversations import mailbox
from followthrough.conversations.models import Mailbox, Message
from followthrough.touchpoints import worker
from tests.conversations.dovecot import PASSWORD, USER

pytestmark = pytest.mark.imap


def reply(n: int, text: str = "The drain is slow again, can someone come back?",
          sender: str = "Ada Lovelace <ada@example.com>") -> bytes:
    return (f"From: {sender}\r\nTo: replies@riverside.example\r\n"
            f"Subject: Re: Your kitchen sink\r\nMessage-ID: <reply-{n}@example.com>\r\n"
            f"Date: Wed, 10 Jun 2026 12:00:00 -0400\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()


@pytest.fixture
def box(dovecot, business):
    return Mailbox.objects.create(
        business=business, host="127.0.0.1", port=dovecot.port, security=Mailbox.PLAIN,
        username=USER, password=PASSWORD)


def turn_comes(box):
    """A minute later: the mailbox's turn has come again."""
    Mailbox.objects.filter(pk=box.pk).update(next_poll_at=timezone.now() - dt.timedelta(seconds=1))


def test_it_takes_a_reply_from_the_mailbox_into_the_customers_timeline(
        dovecot, box, ada, job, owner_client):
    dovecot.append(reply(1))

    worker.run_once()

    message = Message.objects.get()
    assert message.customer == ada and message.direction == Message.IN
    assert message.body.startswith("The drain is slow again")
    page = owner_client.get(f"/customers/{ada.public_id}/")
    assert "The drain is slow again, can someone come back?" in page.content.decode()
    box.refresh_from_db()
    assert box.received_total == 1 and box.last_success_at and not box.failures


def test_it_marks_a_taken_message_read_and_never_takes_it_twice(dovecot, box, ada, job):
    dovecot.append(reply(1))
    worker.run_once()
    assert dovecot.flags() == [("\\Seen",)]

    turn_comes(box)
    worker.run_once()

    assert Message.objects.count() == 1


def test_it_keeps_one_copy_when_a_taken_message_comes_back_unread(dovecot, box, ada, job):
    dovecot.append(reply(1))
    worker.run_once()
    with dovecot.client() as client:  # someone marks it unread in their mail app
        client.flag(client.uids(), "\\Seen", False)

    turn_comes(box)
    worker.run_once()

    assert Message.objects.count() == 1 and dovecot.flags() == [("\\Seen",)]


def test_it_sets_a_bad_message_aside_and_takes_the_rest(dovecot, box, ada, job):
    dovecot.append(reply(1, text="First, before the bad one."))
    dovecot.append(b"Subject: nobody sent this\r\nMessage-ID: <bad@example.com>\r\n\r\n?\r\n")
    dovecot.append(reply(3, text="And after it."))

    worker.run_once()

    bodies = sorted(m.body for m in Message.objects.all())
    assert bodies == ["And after it.", "First, before the bad one."]
    flags = [set(f) for f in dovecot.flags()]
    assert flags == [{"\\Seen"}, {"\\Seen", "\\Flagged"}, {"\\Seen"}]
    box.refresh_from_db()
    assert "no sender address" in box.last_problem and box.received_total == 2
    assert not box.failures


def test_it_goes_on_when_a_message_is_deleted_while_it_reads(dovecot, box, ada, job,
                                                             monkeypatch):
    dovecot.append(reply(1, text="Deleted in the owner's mail app meanwhile."))
    dovecot.append(reply(2, text="Still there."))
    limit = mailbox.max_bytes()
    deleted = []

    def owner_deletes_the_first():  # runs between listing the messages and reading them
        if not deleted:
            with dovecot.client() as other:
                other.delete(other.uids()[0])
            deleted.append(True)
        return limit

    monkeypatch.setattr(mailbox, "max_bytes", owner_deletes_the_first)
    worker.run_once()

    assert [m.body for m in Message.objects.all()] == ["Still there."]
    box.refresh_from_db()
    assert not box.failures and not box.last_error


def test_it_leaves_a_message_unread_when_the_database_fails_and_takes_it_later(
        dovecot, box, ada, job, monkeypatch):
    dovecot.append(reply(1, text="Saved on the second round."))
    dovecot.append(reply(2, text="Saved on the first."))
    real_store, calls = mailbox.store, []

    def database_down_once(*args, **kwargs):  # a locked or restarting database
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(mailbox, "store", database_down_once)
    worker.run_once()
    assert [m.body for m in Message.objects.all()] == ["Saved on the first."]
    assert dovecot.flags() == [(), ("\\Seen",)]

    turn_comes(box)
    worker.run_once()

    assert Message.objects.count() == 2 and dovecot.flags() == [("\\Seen",), ("\\Seen",)]


def test_it_reports_a_refused_password_and_tries_again_later(dovecot, box, ada, job):
    box.password = "wrong"
    box.save()
    dovecot.append(reply(1))
    now = timezone.now()

    assert mailbox.poll_due(now) == 0

    box.refresh_from_db()
    assert "refused the user name or password" in box.last_error
    assert box.failures == 1 and box.next_poll_at == now + dt.timedelta(minutes=1)
    assert box.lease_until is None and not Message.objects.exists()
    assert mailbox.poll_due(now + dt.timedelta(seconds=30)) == 0  # not yet its turn
    box.refresh_from_db()
    assert box.failures == 1


def test_it_tells_the_owner_what_the_test_found(dovecot, box):
    dovecot.append(reply(1))
    dovecot.append(reply(2))

    assert mailbox.test_connection(box) == (
        True, "Signed in to INBOX; 2 unread messages waiting.")
    assert dovecot.flags() == [(), ()]  # a test reads nothing


def test_it_names_a_missing_folder(dovecot, box):
    box.folder = "Replies"

    ok, text = mailbox.test_connection(box)

    assert not ok and text == "Signed in, but there is no folder called “Replies”."
