"""A provider that retries while the first post is still being handled: four posts of the
same text at once on PostgreSQL keep one message and one Today touch (the unique
constraint on the provider's id decides; the losers find the winner's row)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from followthrough.conversations import services
from followthrough.conversations.matching import Match
from followthrough.conversations.models import Message
from followthrough.touchpoints.models import Touchpoint

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_keeps_one_message_for_four_concurrent_retries(ada, job):
    assert connection.vendor == "postgresql"
    start, results, lock = threading.Barrier(4), [], threading.Lock()

    def post():
        start.wait()
        try:
            message, created = services.receive(services.Incoming(
                channel="sms", sender=ada.phone, body="Friday works?", message_id="SM42",
                received_at=timezone.now()), Match(ada.business, ada))
            with lock:
                results.append((message.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 4 and len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Message.objects.count() == 1
    assert Touchpoint.objects.filter(idempotency_key__startswith="inbound:").count() == 1
