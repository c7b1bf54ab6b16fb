import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from followthrough.customers.models import Customer, Engagement
from followthrough.integrations.models import InboundSource


def source(business, playbooks, provider="generic", secret="s3cret"):  # noqa: S107
    return InboundSource.objects.create(business=business, provider=provider, secret=secret,
                                        playbook=playbooks[0])


def stamped(secret, body, stamp=None):
    stamp = stamp or int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


GENERIC = {"customer": {"name": "Ada", "email": "ada@example.com", "external_id": "c-1"},
           "external_id": "order-1", "won_at": "2025-03-01T10:00:00Z", "value": "99.50",
           "description": "Boiler service"}


def post(client, src, document, headers):
    body = json.dumps(document).encode()
    return client.post(reverse("inbound_receive", args=[src.token]), body,
                       content_type="application/json", headers=headers(body))


def test_it_records_a_generic_sale_and_ignores_the_replay(client, business, playbooks):
    src = source(business, playbooks)
    sign = lambda body: {"X-Followthrough-Signature": stamped("s3cret", body)}  # noqa: E731

    first = post(client, src, GENERIC, sign)
    again = post(client, src, GENERIC, sign)

    assert first.status_code == 201, first.content
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    engagement = Engagement.objects.get(business=business)
    assert engagement.external_id == "order-1" and engagement.touchpoints.exists()
    assert Customer.objects.filter(business=business).count() == 1


@pytest.mark.parametrize("header", ["", "t=1,v1=abc", "garbage"])
def test_it_refuses_a_bad_signature_and_saves_nothing(client, business, playbooks, header):
    src = source(business, playbooks)
    response = post(client, src, GENERIC, lambda body: {"X-Followthrough-Signature": header})

    assert response.status_code == 401
    assert response.json()["detail"][0]["field"] == "signature"
    assert not Customer.objects.exists()


def test_it_refuses_an_unknown_field(client, business, playbooks):
    src = source(business, playbooks)
    response = post(client, src, {**GENERIC, "colour": "red"},
                    lambda body: {"X-Followthrough-Signature": stamped("s3cret", body)})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "colour"
    assert not Customer.objects.exists()


def test_it_takes_a_stripe_checkout(client, business, playbooks):
    src = source(business, playbooks, "stripe", "whsec_test")
    event = {"type": "checkout.session.completed", "data": {"object": {
        "id": "cs_test_1", "customer": "cus_9", "amount_total": 4200, "created": 1735725600,
        "customer_details": {"email": "ada@example.com", "name": "Ada Lovelace"}}}}

    response = post(client, src, event,
                    lambda body: {"Stripe-Signature": stamped("whsec_test", body)})

    assert response.status_code == 201, response.content
    engagement = Engagement.objects.get(external_id="stripe:cs_test_1")
    assert str(engagement.value) == "42.00"
    assert engagement.customer.external_id == "stripe:cus_9"


def test_it_refuses_an_old_stripe_signature(client, business, playbooks):
    src = source(business, playbooks, "stripe", "whsec_test")
    response = post(client, src, {"type": "checkout.session.completed"}, lambda body: {
        "Stripe-Signature": stamped("whsec_test", body, int(time.time()) - 3600)})
    assert response.status_code == 401


def test_it_takes_a_shopify_order(client, business, playbooks):
    src = source(business, playbooks, "shopify", "shpss_test")
    order = {"id": 820982911946154508, "email": "jon@example.com", "total_price": "199.00",
             "created_at": "2025-03-01T10:00:00-05:00", "line_items": [{"title": "Kettle"}],
             "customer": {"id": 115310627314723954, "first_name": "Jon", "last_name": "Snow"}}

    def sign(body):
        digest = hmac.new(b"shpss_test", body, hashlib.sha256).digest()
        return {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                "X-Shopify-Topic": "orders/create"}

    response = post(client, src, order, sign)

    assert response.status_code == 201, response.content
    engagement = Engagement.objects.get(external_id="shopify:820982911946154508")
    assert engagement.description == "Kettle" and engagement.customer.name == "Jon Snow"


def test_it_answers_404_to_a_forged_token(client, business, playbooks):
    source(business, playbooks)
    response = client.post(reverse("inbound_receive", args=["A" * 22]), b"{}",
                           content_type="application/json")
    assert response.status_code == 404
