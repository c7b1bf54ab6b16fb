import pytest
from django.core import signing

from followthrough import vocabulary as v
from followthrough.customers.consent import (
    REACH_FIELDS,
    do_not_contact,
    may_contact,
    may_contact_many,
    read_unsubscribe_token,
    record_consent,
    refusals_of,
    suppress,
    unsubscribe_token,
    unsuppress,
)
from followthrough.customers.models import Customer, Suppression


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Ada Lovelace", email="ada@example.com")


def test_it_allows_relationship_mail_until_the_customer_opts_out(customer):
    assert may_contact(customer, "email", v.RELATIONSHIP)
    record_consent(customer, "email", v.RELATIONSHIP, granted=False, source="test")
    assert not may_contact(customer, "email", v.RELATIONSHIP)


def test_it_refuses_marketing_without_a_recorded_opt_in(customer):
    assert not may_contact(customer, "email", v.MARKETING)
    record_consent(customer, "email", v.MARKETING, granted=True, source="form")
    assert may_contact(customer, "email", v.MARKETING)


def test_it_allows_transactional_mail_without_an_opt_in(customer):
    record_consent(customer, "email", v.MARKETING, granted=False, source="test")
    record_consent(customer, "email", v.RELATIONSHIP, granted=False, source="test")
    assert may_contact(customer, "email", v.TRANSACTIONAL)


def test_it_stops_the_channel_after_a_transactional_withdrawal(customer):
    # STOP by text withdraws transactional too: the number takes nothing, receipts included,
    # as the worker has always held (one rule for the planner and the worker now).
    record_consent(customer, "sms", v.TRANSACTIONAL, granted=False, source="sms")
    assert not may_contact(customer, "sms", v.TRANSACTIONAL)


def test_it_lets_the_newest_ledger_entry_win(customer):
    record_consent(customer, "email", v.RELATIONSHIP, granted=False, source="link")
    record_consent(customer, "email", v.RELATIONSHIP, granted=True, source="phone call")
    assert may_contact(customer, "email", v.RELATIONSHIP)


def test_it_answers_many_questions_the_same_way_as_one(customer, business):
    other = Customer.objects.create(business=business, name="Bo", email="bo@example.com")
    record_consent(customer, "email", v.RELATIONSHIP, granted=False, source="link")
    wanted = [(c.id, "email", p) for c in (customer, other) for p in
              (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING)]
    expected = {key for key in wanted if may_contact(
        Customer.objects.get(id=key[0]), key[1], key[2])}
    assert may_contact_many(wanted) == expected


def test_it_answers_the_bulk_planners_questions_as_the_one_by_one_rules_do(customer, business):
    bounced = Customer.objects.create(business=business, name="Bo", email="bo@example.com",
                                      phone="+14155550100")
    stopped = Customer.objects.create(business=business, name="Cy", email="cy@example.com",
                                      phone="+14155550101")
    texted_stop = Customer.objects.create(business=business, name="Di", phone="+14155550102")
    new = Customer.objects.create(business=business, name="Ed", email="ed@example.com")
    suppress(bounced, "email", Suppression.BOUNCED)
    suppress(stopped, "email", Suppression.UNSUBSCRIBED)
    record_consent(texted_stop, "sms", v.TRANSACTIONAL, granted=False, source="sms")
    record_consent(customer, "email", v.MARKETING, granted=True, source="form")
    people = (customer, bounced, stopped, texted_stop, new)
    asks = {(channel, purpose) for channel in ("email", "sms")
            for purpose in (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING)}
    rows = Customer.objects.filter(pk__in=[c.id for c in people]).values_list(*REACH_FIELDS)
    blocked, refused = refusals_of(rows, asks)
    assert blocked == {c.id for c in people if do_not_contact(c)} == {stopped.id}
    assert {(c.id, *ask) for c in people for ask in refused.get(c.id, ())} == {
        (c.id, *ask) for c in people for ask in asks if not may_contact(c, *ask)}


def test_it_round_trips_an_unsubscribe_token(customer):
    token = unsubscribe_token(customer, v.RELATIONSHIP)
    assert read_unsubscribe_token(token) == (customer.public_id, v.RELATIONSHIP)


def test_it_rejects_a_tampered_unsubscribe_token(customer):
    token = unsubscribe_token(customer, v.RELATIONSHIP).replace(v.RELATIONSHIP, v.MARKETING)
    with pytest.raises(signing.BadSignature):
        read_unsubscribe_token(token)


# The consent matrix: (purpose, ledger entries oldest first, suppressed?) → may we write?
MATRIX = [
    (v.TRANSACTIONAL, [], False, True),
    (v.TRANSACTIONAL, [False], True, False),
    (v.RELATIONSHIP, [], False, True),
    (v.RELATIONSHIP, [False], False, False),
    (v.RELATIONSHIP, [False, True], False, True),
    (v.RELATIONSHIP, [], True, False),
    (v.MARKETING, [], False, False),
    (v.MARKETING, [True], False, True),
    (v.MARKETING, [True, False], False, False),
    (v.MARKETING, [True], True, False),
]


@pytest.mark.parametrize(("purpose", "ledger", "suppressed", "allowed"), MATRIX)
def test_it_follows_the_consent_matrix(customer, purpose, ledger, suppressed, allowed):
    for granted in ledger:
        record_consent(customer, "email", purpose, granted=granted, source="test")
    if suppressed:
        suppress(customer, "email")
    assert may_contact(customer, "email", purpose) is allowed
    assert ((customer.id, "email", purpose) in may_contact_many(
        [(customer.id, "email", purpose)])) is allowed


def test_it_records_the_proof(customer):
    event = record_consent(customer, "email", v.MARKETING, granted=True, source="form",
                           proof="IP 203.0.113.9; signup form")
    assert event.proof == "IP 203.0.113.9; signup form"


def test_it_suppresses_by_hashed_address_across_customer_rows(customer, business):
    suppress(customer, "email")
    again = Customer.objects.create(business=business, name="Ada", email=" ADA@example.com")
    assert not may_contact(again, "email", v.RELATIONSHIP)
    assert "ada@example.com" not in str(Suppression.objects.values_list())


def test_it_keeps_a_suppression_list_per_business(customer, other_business):
    suppress(customer, "email")
    elsewhere = Customer.objects.create(business=other_business, name="Ada",
                                        email="ada@example.com")
    assert may_contact(elsewhere, "email", v.RELATIONSHIP)


def test_it_lifts_a_suppression_on_a_fresh_yes(customer):
    suppress(customer, "email")
    unsuppress(customer, "email")
    assert may_contact(customer, "email", v.RELATIONSHIP)
