"""upsert_customer: creates, updates by external_id, and rejects bad input by field."""

import pytest
from django.core.exceptions import ValidationError

from followthrough.customers.models import Customer
from followthrough.customers.services import normalise_phone, upsert_customer


def errors_of(business, data) -> dict:
    with pytest.raises(ValidationError) as excinfo:
        upsert_customer(business, data)
    return excinfo.value.message_dict


def test_it_creates_a_customer(business):
    customer, created = upsert_customer(business, {"name": "Jamie Rivera",
                                                   "email": "jamie@example.com"})
    assert created
    assert (customer.business, customer.name) == (business, "Jamie Rivera")


def test_it_stores_phone_numbers_in_e164(business):
    customer, _ = upsert_customer(business, {"name": "Jamie", "phone": "+1 (518) 555-0142"})
    assert customer.phone == "+15185550142"


def test_it_reads_a_number_without_a_country_code_as_the_business_country(business):
    customer, _ = upsert_customer(business, {"name": "Jamie", "phone": "(518) 555-0142"})
    assert customer.phone == "+15185550142"


def test_it_rejects_a_number_without_a_country_code_when_the_business_has_no_country(
        business):
    business.timezone = "UTC"
    business.save()
    errors = errors_of(business, {"name": "Jamie", "phone": "518 555 0142"})
    assert "international format" in errors["phone"][0]
    assert not Customer.objects.exists()


def test_it_rejects_a_phone_number_that_does_not_exist(business):
    assert "phone" in errors_of(business, {"name": "Jamie", "phone": "+1 555"})


def test_it_rejects_a_bad_email(business):
    assert "email" in errors_of(business, {"name": "Jamie", "email": "jamie@"})
    assert not Customer.objects.exists()


def test_it_rejects_an_unknown_preferred_channel(business):
    assert "preferred_channel" in errors_of(business, {"name": "Jamie",
                                                       "preferred_channel": "pigeon"})


def test_it_rejects_text_messages_as_preferred_without_a_phone(business):
    assert "preferred_channel" in errors_of(business, {"name": "Jamie",
                                                       "preferred_channel": "sms"})


def test_it_requires_a_name(business):
    assert "name" in errors_of(business, {"email": "jamie@example.com"})


def test_it_rejects_oversized_fields(business):
    errors = errors_of(business, {"name": "x" * 151, "notes": "y" * 5001})
    assert {"name", "notes"} <= set(errors)
    assert not Customer.objects.exists()


def test_it_rejects_unknown_fields(business):
    assert "business" in errors_of(business, {"name": "Jamie", "business": 3})


def test_it_updates_by_external_id_instead_of_duplicating(business):
    first, created = upsert_customer(business, {"external_id": "c-1", "name": "Jamie"})
    second, created_again = upsert_customer(business, {"external_id": "c-1",
                                                       "email": "jamie@example.com"})
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk
    assert (second.name, second.email) == ("Jamie", "jamie@example.com")
    assert Customer.objects.count() == 1


def test_it_keeps_external_ids_separate_per_business(business, other_business):
    upsert_customer(business, {"external_id": "c-1", "name": "Jamie"})
    theirs, created = upsert_customer(other_business, {"external_id": "c-1", "name": "Alex"})
    assert created
    assert Customer.objects.count() == 2


def test_it_leaves_the_customer_unchanged_when_an_update_is_invalid(business):
    upsert_customer(business, {"external_id": "c-1", "name": "Jamie"})
    errors_of(business, {"external_id": "c-1", "name": "Jamie R", "email": "nope"})
    assert Customer.objects.get().name == "Jamie"


def test_it_creates_a_new_customer_each_time_without_external_id(business):
    upsert_customer(business, {"name": "Jamie"})
    upsert_customer(business, {"name": "Jamie"})
    assert Customer.objects.count() == 2


def test_it_keeps_a_blank_phone_blank():
    assert normalise_phone("  ") == ""
