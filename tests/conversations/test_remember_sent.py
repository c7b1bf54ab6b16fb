"""Remembering what we sent: the worker's `touchpoint.sent` events leave one SentMessage
per email Message-ID, written in one statement per batch."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough import events
from followthrough.channels import kinds
from followthrough.conversations.models import SentMessage
from followthrough.conversations.receivers import remember_sent
from followthrough.touchpoints.models import Touchpoint


@pytest.fixture
def sent(ada, job):
    def make(n: int, channel: str = kinds.EMAIL, message_id: str | None = None) -> Touchpoint:
        now = timezone.now()
        return Touchpoint.objects.create(
            business=ada.business, engagement=job, customer=ada, idempotency_key=f"k{n}",
            name="Thanks", channel=channel, status="sent", due_at=now, stage=4,
            element="thank_you", purpose="relationship",
            local_date=now.date(), local_time=dt.time(12),
            message_id=f"<m{n}@example.com>" if message_id is None else message_id,
        )
    return make


def _publish(business, rows):
    remember_sent(None, business=business, name=events.TOUCHPOINT_SENT, payloads=[
        {"touchpoint": row.public_id, "channel": row.channel} for row in rows])


def test_it_remembers_the_message_id_of_every_email_in_a_batch(business, sent):
    rows = [sent(n) for n in range(3)]
    _publish(business, rows)
    remembered = SentMessage.objects.order_by("touchpoint_id")
    assert [(m.message_id, m.touchpoint_id) for m in remembered] == [
        (row.message_id, row.id) for row in rows]
    assert all(m.created_at is not None for m in remembered)


def test_it_keeps_one_row_when_the_same_email_is_published_again(business, sent):
    row = sent(1)
    _publish(business, [row])
    _publish(business, [row, sent(2)])  # a resend after a crash, with a new one
    assert SentMessage.objects.filter(message_id=row.message_id).count() == 1
    assert SentMessage.objects.count() == 2


def test_it_leaves_out_texts_and_rows_without_a_message_id(business, sent):
    _publish(business, [sent(1, channel=kinds.SMS), sent(2, message_id="")])
    assert not SentMessage.objects.exists()
