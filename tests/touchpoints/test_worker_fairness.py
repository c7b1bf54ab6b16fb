"""Fair claiming across businesses, and the send-rate limits."""

import datetime as dt

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Touchpoint
from tests.touchpoints.conftest import NOON


@pytest.fixture
def make_rows():
    def make(business, count, due_at=NOON - dt.timedelta(minutes=5)):
        playbook, _ = Playbook.objects.get_or_create(business=business, slug="p",
                                                     defaults={"name": "P"})
        step, _ = Step.objects.get_or_create(playbook=playbook, name="Hello", defaults={
            "subject": "Hello {{ customer_first_name }}", "body": "Hi there."})
        local = due_at.astimezone(business.zone)
        for _ in range(count):
            customer = Customer.objects.create(business=business, name="Jo Lee",
                                               email="jo@customer.example")
            engagement = Engagement.objects.create(business=business, customer=customer,
                                                   won_at=due_at - dt.timedelta(days=1))
            Touchpoint.objects.create(
                business=business, engagement=engagement, customer=customer, step=step,
                idempotency_key=f"{engagement.public_id}:{step.public_id}:0", name="Hello",
                channel=kinds.EMAIL, stage=4, element=v.THANK_YOU, purpose=v.TRANSACTIONAL,
                due_at=due_at, local_date=local.date(), local_time=local.time())
    return make


def claimed_per_business(rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.business.slug] = counts.get(row.business.slug, 0) + 1
    return counts


def test_it_serves_a_small_business_beside_a_big_import(business, other_business, make_rows):
    make_rows(business, 30, due_at=NOON - dt.timedelta(hours=1))  # the import, due first
    make_rows(other_business, 3)
    _, rows = worker.claim(NOON, 10)
    assert claimed_per_business(rows) == {"riverside-plumbing": 7, "bright-bakery": 3}


def test_it_shares_a_batch_evenly_when_both_have_plenty(business, other_business, make_rows):
    make_rows(business, 20)
    make_rows(other_business, 20)
    _, rows = worker.claim(NOON, 10)
    assert claimed_per_business(rows) == {"riverside-plumbing": 5, "bright-bakery": 5}


def test_it_fills_the_batch_from_one_business_alone(business, make_rows):
    make_rows(business, 20)
    _, rows = worker.claim(NOON, 10)
    assert len(rows) == 10


def test_it_keeps_to_the_install_wide_send_rate(business, make_rows, sink, settings):
    settings.WORKER_MAX_SENDS_PER_SECOND = 4
    make_rows(business, 10)
    first = worker.run_once(now=NOON)
    assert (first.sent, first.throttled > 0) == (4, True)
    assert worker.run_once(now=NOON).sent == 0  # no time has passed: the bucket is empty
    assert worker.run_once(now=NOON + dt.timedelta(seconds=1)).sent == 4
    assert len(sink.messages) == 8


def test_it_keeps_each_business_to_its_send_rate(business, other_business, make_rows, sink,
                                                 settings):
    settings.WORKER_BUSINESS_SENDS_PER_SECOND = 2
    make_rows(business, 5)
    make_rows(other_business, 5)
    _, rows = worker.claim(NOON, 10)
    assert claimed_per_business(rows) == {"riverside-plumbing": 2, "bright-bakery": 2}


def test_it_lets_one_business_send_faster_by_name(business, other_business, make_rows, settings):
    settings.WORKER_BUSINESS_SENDS_PER_SECOND = 1
    settings.WORKER_BUSINESS_RATE_LIMITS = "bright-bakery=5"
    make_rows(business, 6)
    make_rows(other_business, 6)
    _, rows = worker.claim(NOON, 10)
    assert claimed_per_business(rows) == {"riverside-plumbing": 1, "bright-bakery": 5}


def test_it_refills_a_business_bucket_as_time_passes(business, make_rows, settings):
    settings.WORKER_BUSINESS_SENDS_PER_SECOND = 3
    make_rows(business, 10)
    assert len(worker.claim(NOON, 10)[1]) == 3
    assert len(worker.claim(NOON + dt.timedelta(milliseconds=500), 10)[1]) == 1
    assert len(worker.claim(NOON + dt.timedelta(seconds=5), 10)[1]) == 3  # never above 1 s


def test_it_sends_everything_without_limits_in_one_pass(business, other_business, make_rows,
                                                        sink, settings):
    settings.WORKER_BATCH_SIZE = 4
    make_rows(business, 9)
    make_rows(other_business, 2)
    report = worker.run_once(now=NOON)
    assert (report.sent, report.throttled) == (11, 0)
