"""Customers: create and edit (the list: tests/lists/test_customer_list.py)."""


import pytest

from followthrough.customers.models import Customer

CUSTOMER_DATA = {
    "name": "Jamie Rivera", "email": "Jamie@Example.com", "phone": "+1 518 555 0142",
    "preferred_channel": "email", "postal_address": "", "defining_moment": "",
    "notes": "", "tags": "",
}


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Alex Moreno",
                                   email="alex@example.com", phone="+15185550199")


def test_it_creates_a_customer(owner_client, business):
    response = owner_client.post("/customers/new/", CUSTOMER_DATA)
    customer = Customer.objects.get(business=business)
    assert response.url == f"/customers/{customer.public_id}/"
    assert (customer.email, customer.phone) == ("jamie@example.com", "+15185550142")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "555 0142", "not a valid phone number"),
        ("email", "jamie-at-example", "Enter a valid email address."),
        ("name", "", "This field is required."),
        ("name", "x" * 151, "at most 150 characters"),
    ],
)
def test_it_names_the_field_with_bad_customer_input(owner_client, business, field, value,
                                                     message):
    response = owner_client.post("/customers/new/", {**CUSTOMER_DATA, field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not Customer.objects.filter(business=business).exists()


def test_it_edits_a_customer(owner_client, customer):
    owner_client.post(f"/customers/{customer.public_id}/edit/",
                      {**CUSTOMER_DATA, "name": "Alex M. Moreno"})
    customer.refresh_from_db()
    assert customer.name == "Alex M. Moreno"


def test_it_keeps_a_customer_unchanged_after_a_bad_edit(owner_client, customer):
    owner_client.post(f"/customers/{customer.public_id}/edit/",
                      {**CUSTOMER_DATA, "name": "New Name", "phone": "12"})
    customer.refresh_from_db()
    assert customer.name == "Alex Moreno"




@pytest.fixture
def referrer(business):
    from django.utils import timezone

    from followthrough.customers.models import Engagement

    referrer = Customer.objects.create(business=business, name="Sam Okafor",
                                       email="sam@example.com", referral_code="SAMK2345")
    Engagement.objects.create(business=business, customer=referrer, kind="Job",
                              won_at=timezone.now())
    return referrer


def test_it_credits_the_referrer_of_a_new_customer(owner_client, business, referrer,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/customers/new/", {**CUSTOMER_DATA, "referral_code": " samk2345 "})
    customer = Customer.objects.get(business=business, email="jamie@example.com")
    assert customer.referred_by == referrer


def test_it_plans_a_thank_you_card_for_the_referrer(owner_client, business, referrer,
                                                     django_capture_on_commit_callbacks):
    from followthrough.touchpoints.models import Touchpoint

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/customers/new/", {**CUSTOMER_DATA, "referral_code": "SAMK2345"})
    customer = Customer.objects.get(business=business, email="jamie@example.com")
    card = Touchpoint.objects.get(idempotency_key=f"referral:{customer.public_id}")
    assert (card.customer, card.channel) == (referrer, "card")


def test_it_names_the_field_for_an_unknown_referral_code(owner_client, business, referrer):
    response = owner_client.post("/customers/new/", {**CUSTOMER_DATA, "referral_code": "NOPE2345"})
    assert "NOPE2345" in " ".join(response.context["form"].errors["referral_code"])
    assert not Customer.objects.filter(business=business, email="jamie@example.com").exists()


def test_it_refuses_another_business_referral_code(owner_client, business, other_business):
    Customer.objects.create(business=other_business, name="Elsewhere", referral_code="ELSE2345")
    response = owner_client.post("/customers/new/", {**CUSTOMER_DATA, "referral_code": "ELSE2345"})
    assert "referral_code" in response.context["form"].errors
    assert not Customer.objects.filter(business=business).exists()


def test_it_shows_no_referral_code_when_editing(owner_client, customer):
    response = owner_client.get(f"/customers/{customer.public_id}/edit/")
    assert "referral_code" not in response.context["form"].fields
