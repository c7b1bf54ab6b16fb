"""Search on the database's own text index: what it finds, and what it never shows."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement
from followthrough.search import backend
from tests.search.conftest import HOSTILE


def names(customers):
    return [c.name for c in customers]


@pytest.mark.parametrize("typed", ["mar", "Maria", "maria lo", "LOPEZ", "lopez mar"])
def test_it_finds_a_customer_by_the_start_of_their_name(business, maria, typed):
    assert names(backend.find_customers(business, typed)) == ["Maria Lopez"]


@pytest.mark.parametrize("typed", ["maria.lopez@example.com", "maria.lopez@", "lopez@exam",
                                   "example.com"])
def test_it_finds_a_customer_by_email(business, maria, typed):
    assert names(backend.find_customers(business, typed)) == ["Maria Lopez"]


@pytest.mark.parametrize("typed", ["+44 20 7946 0958", "020 7946 0958", "02079460958",
                                   "7946", "946 09", "(020) 7946-0958", "0958"])
def test_it_finds_a_customer_by_any_part_of_their_phone_however_written(business, maria,
                                                                        typed):
    assert names(backend.find_customers(business, typed)) == ["Maria Lopez"]


def test_it_finds_a_customer_by_external_id(business, maria):
    assert names(backend.find_customers(business, "shop-1042")) == ["Maria Lopez"]


def test_it_finds_a_job_by_a_word_of_its_description_and_its_external_id(business, boiler):
    assert backend.find_jobs(business, "flue") == [boiler]
    assert backend.find_jobs(business, "boil serv") == [boiler]
    assert backend.find_jobs(business, "order-77") == [boiler]


def test_it_finds_a_promise_by_what_was_promised(business, promise):
    assert backend.find_promises(business, "warranty") == [promise]


def test_it_does_not_find_a_word_in_the_middle_of_another(business, maria):
    assert backend.find_customers(business, "aria") == []


def test_it_never_shows_another_business_s_rows(business, maria, boiler, promise, elsewhere):
    results = backend.search(business, "maria")
    assert results.customers == [maria]
    assert backend.find_jobs(business, "boiler") == [boiler]
    assert backend.find_promises(business, "warranty") == [promise]


def test_it_follows_edits_and_deletions(business, maria):
    maria.name, maria.phone, maria.email = "Mariana Ortiz", "", "mo@example.net"
    maria.save()
    assert backend.find_customers(business, "lopez") == []
    assert backend.find_customers(business, "7946") == []
    assert names(backend.find_customers(business, "ortiz")) == ["Mariana Ortiz"]
    Customer.objects.filter(pk=maria.pk).update(email="new@example.org")
    assert names(backend.find_customers(business, "new@example")) == ["Mariana Ortiz"]
    maria.delete()
    assert backend.find_customers(business, "ortiz") == []


def test_it_indexes_rows_from_bulk_create(business):
    Customer.objects.bulk_create(Customer(business=business, name=f"Bulk Person {n}",
                                          email=f"bulk{n}@example.com") for n in range(30))
    assert len(backend.find_customers(business, "bulk", limit=50)) == 30


def test_it_indexes_rows_written_in_raw_sql(business):
    # As the import and the benchmarks write: straight SQL, no model save().
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_customer (business_id, public_id, name, email, phone, "
            "postal_address, preferred_channel, notes, defining_moment, tags, timezone, "
            "marketing_hold, created_at, updated_at) VALUES (%s, %s, %s, '', %s, '', 'email', "
            "'', '', '', '', %s, %s, %s)",
            [business.pk, "r" * 32, "Rawley Inserted", "+15185550142", False, now, now])
    assert names(backend.find_customers(business, "555 0142")) == ["Rawley Inserted"]


def test_it_puts_names_that_start_with_the_words_first(business):
    for name in ("Zed Martin", "Anna Marsh", "Martha Jones"):
        Customer.objects.create(business=business, name=name)
    assert names(backend.find_customers(business, "mar")) == ["Martha Jones", "Anna Marsh",
                                                               "Zed Martin"]


def test_it_stops_at_the_limit(business):
    Customer.objects.bulk_create(Customer(business=business, name=f"Sam {n:02d}")
                                 for n in range(12))
    assert len(backend.find_customers(business, "sam", limit=5)) == 5
    assert backend.search(business, "sam", limit=5).more


def test_it_lists_open_promises_before_settled_ones(business, maria):
    today = dt.date.today()
    kept = Promise.objects.create(business=business, customer=maria, what="Call back",
                                  due_on=today, status=Promise.KEPT)
    open_ = Promise.objects.create(business=business, customer=maria, what="Call again",
                                   due_on=today + dt.timedelta(days=9))
    assert backend.find_promises(business, "call") == [open_, kept]


@pytest.mark.parametrize("typed", HOSTILE)
def test_it_answers_hostile_text_without_an_error(business, maria, boiler, promise, typed):
    results = backend.search(business, typed)
    assert results.count <= 3


def test_it_finds_the_words_inside_hostile_text(business, maria):
    assert names(backend.find_customers(business, '("maria" -lopez*):^')) == ["Maria Lopez"]


def test_it_searches_nothing_for_nothing(business, maria, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert backend.search(business, "  ").count == 0
    assert Engagement.objects.count() == 0


def test_it_finds_accented_names_by_what_was_typed(business):
    jose = Customer.objects.create(business=business, name="José Núñez")
    assert backend.find_customers(business, "josé núñ") == [jose]
    if connection.vendor == "sqlite":  # FTS5 folds accents; PostgreSQL's simple config not
        assert backend.find_customers(business, "jose nun") == [jose]
