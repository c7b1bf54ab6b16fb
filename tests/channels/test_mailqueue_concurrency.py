"""Several workers deliver the mail queue at once on PostgreSQL: the conditional update
hands each row to exactly one of them, so nobody gets the same email twice."""

import pytest
from django.db import connection
from django.utils import timezone

from followthrough.channels import mailqueue
from tests.concurrency import claim_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_gives_each_row_to_one_of_four_concurrent_claimers():
    assert connection.vendor == "postgresql"
    for n in range(60):
        mailqueue.queue_mail(f"Mail {n}", "body", [f"p{n}@example.com"], kind="test")
    now = timezone.now()
    claimed = claim_concurrently(lambda: mailqueue.claim(now, 3)[1])
    every = [row_id for ids in claimed for row_id in ids]
    assert len(every) == len(set(every)) == 60
