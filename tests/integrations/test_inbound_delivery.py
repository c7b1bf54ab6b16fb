"""Shops and other sales sources report delivery: a fulfilled Shopify order (or its
fulfilment) and a generic sale sent again with its delivery date record `delivered`, and the
after-sales steps are planned. Shopify cannot be reached from here: the tests sign the
bodies with the shared secret, exactly as Shopify does."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from followthrough.customers.models import Engagement
from followthrough.integrations.models import InboundSource
from tests.integrations.test_inbound import GENERIC, stamped

SECRET = "shpss_test"  # noqa: S105
ORDER = {"id": 450789469, "email": "jon@example.com", "total_price": "199.00",
         "financial_status": "paid", "created_at": "2025-03-01T10:00:00-05:00",
         "line_items": [{"title": "Kettle"}],
         "customer": {"id": 207119551, "first_name": "Jon", "last_name": "Snow"}}
FULFILLED = {**ORDER, "fulfillment_status": "fulfilled", "updated_at": "2025-03-04T09:00:00-05:00",
             "fulfillments": [{"id": 255858046, "created_at": "2025-03-03T15:00:00-05:00"}]}


@pytest.fixture
def shop(business, playbooks):
    product = next(p for p in playbooks if p.slug != "service-job")
    return InboundSource.objects.create(business=business, provider="shopify", secret=SECRET,
                                        playbook=product)


def send(client, src, document, topic):
    body = json.dumps(document).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return client.post(reverse("inbound_receive", args=[src.token]), body,
                       content_type="application/json",
                       headers={"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                                "X-Shopify-Topic": topic})


def order() -> Engagement:
    return Engagement.objects.get(external_id="shopify:450789469")


def test_it_marks_a_shopify_order_delivered_once_it_is_fulfilled(client, shop):
    send(client, shop, ORDER, "orders/create")
    assert not order().touchpoints.filter(name="Walk-through call").exists()

    response = send(client, shop, FULFILLED, "orders/fulfilled")

    assert response.json()["status"] == "delivered", response.content
    assert order().delivered_at.isoformat() == "2025-03-03T20:00:00+00:00"
    assert order().touchpoints.filter(name="Walk-through call").exists()


def test_it_marks_the_order_delivered_from_a_fulfilment(client, shop):
    send(client, shop, ORDER, "orders/create")
    fulfilment = {"id": 255858046, "order_id": 450789469, "status": "success",
                  "created_at": "2025-03-03T15:00:00-05:00"}

    response = send(client, shop, fulfilment, "fulfillments/create")

    assert response.json()["status"] == "delivered"
    assert order().delivered_at is not None


def test_it_records_a_fulfilled_order_it_sees_first_as_sold_and_delivered(client, shop):
    response = send(client, shop, FULFILLED, "orders/fulfilled")

    assert response.status_code == 201
    assert order().delivered_at is not None


def test_it_ignores_a_fulfilment_for_an_order_it_never_had(client, shop):
    fulfilment = {"id": 1, "order_id": 999, "status": "success",
                  "created_at": "2025-03-03T15:00:00-05:00"}

    response = send(client, shop, fulfilment, "fulfillments/create")

    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert not Engagement.objects.exists()


def test_it_records_the_delivery_only_once(client, shop):
    send(client, shop, FULFILLED, "orders/fulfilled")
    again = send(client, shop, {**FULFILLED, "fulfillments": [
        {"id": 2, "created_at": "2025-03-09T15:00:00-05:00"}]}, "orders/fulfilled")

    assert again.json()["status"] == "duplicate"
    assert order().delivered_at.day == 3


def test_it_records_delivery_when_a_generic_sale_comes_again_with_its_date(
        client, business, playbooks):
    src = InboundSource.objects.create(business=business, provider="generic",
                                       secret="s3cret", playbook=playbooks[0])  # noqa: S106
    url = reverse("inbound_receive", args=[src.token])

    def post(document):
        body = json.dumps(document).encode()
        return client.post(url, body, content_type="application/json",
                           headers={"X-Followthrough-Signature": stamped("s3cret", body)})

    post(GENERIC)
    response = post({**GENERIC, "delivered_at": "2025-03-05T16:00:00Z"})

    assert response.json()["status"] == "delivered"
    assert Engagement.objects.get(external_id="order-1").delivered_at.day == 5
