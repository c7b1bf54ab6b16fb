"""One consent rule: may_contact (one customer) and may_contact_many (a batch: the worker,
the bulk planner) give the same answer for the same ledger."""

import itertools

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import ConsentEvent, Customer

PURPOSES = (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING)
# Each history is a list of (purpose, granted) in ledger order.
HISTORIES = [
    [],
    [(v.MARKETING, True)],
    [(v.MARKETING, True), (v.MARKETING, False)],
    [(v.RELATIONSHIP, False), (v.RELATIONSHIP, True)],
    [(v.TRANSACTIONAL, False)],
    [(v.TRANSACTIONAL, False), (v.MARKETING, True)],
    [(v.TRANSACTIONAL, False), (v.TRANSACTIONAL, True), (v.MARKETING, True)],
]


@pytest.fixture
def customers(business):
    made = []
    for n, history in enumerate(HISTORIES):
        customer = Customer.objects.create(business=business, name=f"C{n}",
                                           email=f"c{n}@customer.example")
        for purpose, granted in history:
            consent.record_consent(customer, kinds.EMAIL, purpose, granted, "test")
        made.append(customer)
    return made


def test_it_answers_the_same_one_by_one_and_in_a_batch(customers):
    wanted = [(c.pk, kinds.EMAIL, p) for c, p in itertools.product(customers, PURPOSES)]
    batch = consent.may_contact_many(wanted)
    for customer, purpose in itertools.product(customers, PURPOSES):
        alone = consent.may_contact(customer, kinds.EMAIL, purpose)
        assert alone == ((customer.pk, kinds.EMAIL, purpose) in batch), (customer.name, purpose)


def test_it_stops_every_purpose_after_a_transactional_withdrawal(customers):
    stopped = customers[5]  # withdrew transactional, then said yes to marketing
    assert not any(consent.may_contact(stopped, kinds.EMAIL, p) for p in PURPOSES)


def test_it_lets_the_newest_transactional_answer_win(customers):
    restarted = customers[6]  # STOP, then START, then yes to marketing
    assert all(consent.may_contact(restarted, kinds.EMAIL, p) for p in PURPOSES)


def test_it_reduces_the_ledger_to_the_newest_answer(customers):
    newest = consent.newest_many(ConsentEvent.objects.filter(customer=customers[2]))
    assert newest == {(customers[2].pk, kinds.EMAIL, v.MARKETING): False}
