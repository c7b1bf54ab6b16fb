"""Several claimers at once on PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED hands each row
to exactly one of them. (The chaos tests in tests/reliability run real worker processes.)"""

import pytest
from django.db import connection

from followthrough.touchpoints import worker
from tests.concurrency import claim_concurrently
from tests.touchpoints.conftest import NOON

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_gives_each_row_to_one_of_four_concurrent_claimers(make_touchpoint):
    assert connection.vendor == "postgresql"
    for _ in range(60):
        make_touchpoint()
    claimed = claim_concurrently(lambda: worker.claim(NOON, 3)[1])
    every = [row_id for ids in claimed for row_id in ids]
    assert len(every) == len(set(every)) == 60
    assert sum(1 for ids in claimed if ids) >= 2  # they really ran side by side
