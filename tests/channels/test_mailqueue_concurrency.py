"""Several workers deliver the mail queue at once on PostgreSQL: the conditional update
hands each row to exactly one of them, so nobody gets the same email twice."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from followthrough.channels import mailqueue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_gives_each_row_to_one_of_four_concurrent_claimers():
    assert connection.vendor == "postgresql"
    for n in range(60):
        mailqueue.queue_mail(f"Mail {n}", "body", [f"p{n}@example.com"], kind="test")
    now = timezone.now()
    claimed: list[list[int]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer():
        start.wait()
        mine = []
        try:
            while True:
                _, rows = mailqueue.claim(now, 3)
                if not rows:
                    break
                mine += [row.id for row in rows]
        finally:
            connection.close()
        with lock:
            claimed.append(mine)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    every = [row_id for ids in claimed for row_id in ids]
    assert len(every) == len(set(every)) == 60
