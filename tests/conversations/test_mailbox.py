"""The worker's side of a business's mailbox that needs no mail server: who may read it,
and what an unreachable one does (a closed port on 127.0.0.1 stands for a server that is
down). The mail itself is in test_mailbox_imap.py, against a real dovecot."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.conversations import mailbox
from followthrough.conversations.models import Mailbox
from followthrough.touchpoints import worker
from tests.smtp import free_port


@pytest.fixture
def box(business):
    return Mailbox.objects.create(
        business=business, host="127.0.0.1", port=free_port(), security=Mailbox.PLAIN,
        username="replies", password="secret")


def test_it_lets_only_one_worker_read_a_mailbox_at_a_time(box):
    now = timezone.now()

    assert mailbox.claim(box.pk, now) is True
    assert mailbox.claim(box.pk, now + dt.timedelta(seconds=5)) is False


def test_it_lets_another_worker_in_when_the_reader_died(box):
    now = timezone.now()
    mailbox.claim(box.pk, now)

    assert mailbox.claim(box.pk, now + mailbox.LEASE + dt.timedelta(seconds=1)) is True


def test_it_skips_a_mailbox_that_is_switched_off(box):
    Mailbox.objects.filter(pk=box.pk).update(enabled=False)

    assert mailbox.claim(box.pk, timezone.now()) is False


def test_it_backs_off_further_each_time_a_mailbox_cannot_be_reached(box):
    now = timezone.now()
    waits = []
    for _attempt in range(3):
        mailbox.poll_due(now)
        box.refresh_from_db()
        waits.append(box.next_poll_at - now)
        now = box.next_poll_at

    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 5)]
    assert "refused the connection" in box.last_error and box.failures == 3
    assert box.last_success_at is None and box.lease_until is None


def test_it_keeps_the_worker_going_when_a_mailbox_is_down(box, settings):
    report = worker.run_once()

    box.refresh_from_db()
    assert report is not None and box.failures == 1 and box.last_error


def test_it_never_sends_a_password_unencrypted_to_another_machine(box):
    box.host = "mail.example.com"

    ok, text = mailbox.test_connection(box)

    assert not ok and "in the clear" in text


def test_it_asks_for_the_password_again_when_the_key_changed(box, settings):
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    box = Mailbox.objects.get(pk=box.pk)

    ok, text = mailbox.test_connection(box)

    assert not ok and "type the password again" in text
