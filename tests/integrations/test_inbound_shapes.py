"""Stripe and Shopify payloads with fields of the wrong type answer 400 naming the field,
never 500, and leave nothing behind; names lose their control characters. Stripe and
Shopify cannot be reached from here: the payloads are faked from their documentation and
signed with the scheme each documents."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from followthrough.customers.models import Customer, Engagement
from tests.integrations.test_inbound import source, stamped

CHECKOUT = {"id": "cs_test_1", "customer": "cus_9", "amount_total": 4200,
            "created": 1735725600,
            "customer_details": {"email": "ada@example.com", "name": "Ada Lovelace"}}
ORDER = {"id": 820982911946154508, "email": "jon@example.com", "total_price": "199.00",
         "created_at": "2025-03-01T10:00:00-05:00", "line_items": [{"title": "Kettle"}],
         "customer": {"id": 115310627314723954, "first_name": "Jon", "last_name": "Snow"}}


def send_stripe(client, src, session, **event):
    document = {"type": "checkout.session.completed", "data": {"object": session}, **event}
    body = json.dumps(document).encode()
    return client.post(reverse("inbound_receive", args=[src.token]), body,
                       content_type="application/json",
                       headers={"Stripe-Signature": stamped("whsec_test", body)})


def send_shopify(client, src, order):
    body = json.dumps(order).encode()
    digest = hmac.new(b"shpss_test", body, hashlib.sha256).digest()
    return client.post(reverse("inbound_receive", args=[src.token]), body,
                       content_type="application/json",
                       headers={"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode()})


@pytest.fixture
def stripe(business, playbooks):
    return source(business, playbooks, "stripe", "whsec_test")


@pytest.fixture
def shopify(business, playbooks):
    return source(business, playbooks, "shopify", "shpss_test")


def refused(response, field):
    assert response.status_code == 400, response.content
    assert response.json()["detail"][0]["field"] == field
    assert not Customer.objects.exists() and not Engagement.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"amount_total": "abc"}, "data.object.amount_total"),
    ({"amount_total": 10**30}, "data.object.amount_total"),
    ({"amount_total": True}, "data.object.amount_total"),
    ({"amount_total": -5}, "data.object.amount_total"),
    ({"customer_details": []}, "data.object.customer_details"),
    ({"customer_details": "Ada"}, "data.object.customer_details"),
    ({"customer_details": {"email": 12345}}, "data.object.customer_details.email"),
    ({"customer_details": {"name": ["Ada"]}}, "data.object.customer_details.name"),
    ({"customer_email": {"a": 1}, "customer_details": None}, "data.object.customer_email"),
    ({"customer": ["cus_9"]}, "data.object.customer"),
    ({"id": 1.5}, "data.object.id"),
])
def test_it_answers_400_to_a_stripe_field_of_the_wrong_type(client, stripe, change, field):
    refused(send_stripe(client, stripe, {**CHECKOUT, **change}), field)


@pytest.mark.parametrize(("document", "field"), [
    ({"type": "checkout.session.completed", "data": []}, "data"),
    ({"type": "checkout.session.completed", "data": {"object": "cs_1"}}, "data.object"),
])
def test_it_answers_400_to_a_stripe_event_of_the_wrong_shape(client, stripe, document, field):
    body = json.dumps(document).encode()
    response = client.post(reverse("inbound_receive", args=[stripe.token]), body,
                           content_type="application/json",
                           headers={"Stripe-Signature": stamped("whsec_test", body)})
    refused(response, field)


def test_it_takes_a_stripe_checkout_without_billing_details(client, stripe):
    session = {**CHECKOUT, "customer_details": None, "customer_email": "ada@example.com"}
    assert send_stripe(client, stripe, session).status_code == 201
    assert Customer.objects.get().email == "ada@example.com"


def test_it_strips_control_characters_from_a_stripe_name(client, stripe):
    details = {"email": "ada@example.com", "name": "Ada\r\nBcc: x@evil.example\x00\x1b[2J"}
    assert send_stripe(client, stripe, {**CHECKOUT, "customer_details": details}).status_code \
        == 201
    name = Customer.objects.get().name
    assert name == "Ada Bcc: x@evil.example[2J"


@pytest.mark.parametrize(("change", "field"), [
    ({"customer": []}, "customer"),
    ({"customer": "Jon"}, "customer"),
    ({"customer": {"first_name": 7}}, "customer.first_name"),
    ({"customer": {"email": 12345}, "email": None}, "customer.email"),
    ({"email": 12345, "customer": None}, "email"),
    ({"line_items": "Kettle"}, "line_items"),
    ({"line_items": [{"title": {"x": 1}}]}, "line_items.title"),
    ({"total_price": {"amount": 1}}, "total_price"),
    ({"total_price": True}, "total_price"),
    ({"id": [1]}, "id"),
])
def test_it_answers_400_to_a_shopify_field_of_the_wrong_type(client, shopify, change, field):
    refused(send_shopify(client, shopify, {**ORDER, **change}), field)


def test_it_strips_control_characters_from_a_shopify_name(client, shopify):
    order = {**ORDER, "customer": {"id": 1, "first_name": "Jon\n", "last_name": "\x07Snow\r"}}
    assert send_shopify(client, shopify, order).status_code == 201
    assert Customer.objects.get().name == "Jon Snow"


def test_it_takes_the_next_event_after_a_bad_one(client, stripe):
    assert send_stripe(client, stripe, {**CHECKOUT, "customer_details": []}).status_code == 400
    assert send_stripe(client, stripe, CHECKOUT).status_code == 201
    assert Engagement.objects.get().external_id == "stripe:cs_test_1"
