"""The mail queue against a real SMTP server (aiosmtpd): sent, retried with backoff on
4xx and on a server that is down, failed for good on 5xx, claimed by one worker only."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from followthrough.channels import mailqueue
from followthrough.channels.models import QueuedMail
from tests.smtp import free_port, running_sink


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


def queue(**extra):
    return mailqueue.queue_mail("Your reset link", "Open https://example.test/r/abc",
                                ["owner@riverside.example"], kind="password_reset", **extra)


def reload(row):
    return QueuedMail.objects.get(pk=row.pk)


def test_it_sends_a_queued_mail_and_clears_its_body(db, sink):
    row = queue()
    assert mailqueue.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
    [message] = sink.messages
    assert message["Subject"] == "Your reset link"
    row = reload(row)
    assert (row.status, row.attempts, row.text_body) == (QueuedMail.SENT, 1, "")
    assert row.sent_at is not None


def test_it_retries_a_451_later_with_backoff(db, sink):
    row = queue()
    sink.answer("451 4.3.0 Try again later")
    now = timezone.now()
    assert mailqueue.deliver_due(now)["retry"] == 1
    row = reload(row)
    assert (row.status, row.attempts) == (QueuedMail.QUEUED, 1)
    assert "451" in row.last_error and row.next_attempt_at == now + mailqueue.FIRST_RETRY
    assert mailqueue.deliver_due(now)["sent"] == 0  # not due yet
    assert mailqueue.deliver_due(row.next_attempt_at)["sent"] == 1
    assert len(sink.messages) == 1


def test_it_fails_a_550_for_good(db, sink):
    row = queue()
    sink.answer("550 5.1.1 No such user")
    assert mailqueue.deliver_due()["failed"] == 1
    row = reload(row)
    assert (row.status, row.text_body) == (QueuedMail.FAILED, "")
    assert "550" in row.last_error


def test_it_keeps_the_queue_when_the_server_is_down(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    rows = [queue(), queue()]
    assert mailqueue.deliver_due()["retry"] == 2
    for row in map(reload, rows):
        assert (row.status, row.attempts) == (QueuedMail.QUEUED, 0)
        assert "unreachable" in row.last_error


def test_it_gives_up_after_the_last_attempt(db, sink):
    row = queue()
    QueuedMail.objects.filter(pk=row.pk).update(attempts=mailqueue.MAX_ATTEMPTS - 1)
    sink.answer("451 4.3.0 Try again later")
    assert mailqueue.deliver_due()["failed"] == 1
    assert reload(row).status == QueuedMail.FAILED


def test_it_backs_off_to_at_most_an_hour():
    assert mailqueue.backoff(1) == dt.timedelta(seconds=30)
    assert mailqueue.backoff(2) == dt.timedelta(seconds=60)
    assert mailqueue.backoff(20) == mailqueue.MAX_BACKOFF


def test_it_lets_only_one_worker_claim_a_row(db):
    queue()
    now = timezone.now()
    _, first = mailqueue.claim(now, 10)
    _, second = mailqueue.claim(now, 10)
    assert len(first) == 1 and second == []


def test_it_claims_a_row_again_once_its_lease_ran_out(db):
    queue()
    now = timezone.now()
    _, first = mailqueue.claim(now, 10)
    _, again = mailqueue.claim(now + mailqueue.LEASE + dt.timedelta(seconds=1), 10)
    assert [row.pk for row in again] == [first[0].pk]


def test_it_ignores_an_outcome_for_a_claim_it_lost(db, sink):
    row = queue()
    now = timezone.now()
    token, _ = mailqueue.claim(now, 10)
    mailqueue.claim(now + mailqueue.LEASE + dt.timedelta(seconds=1), 10)  # another worker
    mailqueue._finish(row, token, status=QueuedMail.SENT)
    assert reload(row).status == QueuedMail.SENDING


def test_it_commits_with_the_callers_transaction(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the page failed")
    assert not QueuedMail.objects.exists()


def test_it_keeps_the_subject_on_one_line(db, sink):
    row = mailqueue.queue_mail("Hello\r\nBcc: everyone@example.com", "Hi", ["a@example.com"],
                               kind="test")
    assert reload(row).subject == "Hello Bcc: everyone@example.com"
    mailqueue.deliver_due()
    assert sink.messages[0]["Bcc"] is None


def test_it_prunes_old_sent_and_failed_rows_only(db):
    old = timezone.now() - mailqueue.KEEP - dt.timedelta(minutes=1)
    sent, failed, waiting = queue(), queue(), queue()
    QueuedMail.objects.filter(pk=sent.pk).update(status=QueuedMail.SENT, created_at=old)
    QueuedMail.objects.filter(pk=failed.pk).update(status=QueuedMail.FAILED, created_at=old)
    QueuedMail.objects.filter(pk=waiting.pk).update(created_at=old)
    assert mailqueue.prune() == 2
    assert list(QueuedMail.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_it_tells_a_health_check_how_long_mail_has_waited(db, sink):
    assert mailqueue.waiting_since() is None
    row = queue()
    sink.answer("451 4.3.0 Try again later")
    mailqueue.deliver_due()
    assert mailqueue.waiting_since() == reload(row).created_at
    mailqueue.deliver_due(timezone.now() + mailqueue.FIRST_RETRY)
    assert mailqueue.waiting_since() is None
