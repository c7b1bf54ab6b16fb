"""Provider bounce and complaint webhooks, through django-anymail's real Postmark tracking
webhook view (Postmark itself cannot be reached from here; we post what it documents)."""

import base64
import json

import pytest

from followthrough.customers import consent
from followthrough.customers.models import ConsentEvent, Customer, Suppression

URL = "/integrations/anymail/postmark/tracking/"


@pytest.fixture
def anymail_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    return {"Authorization": "Basic " + base64.b64encode(b"hook:secret").decode()}


@pytest.fixture
def ada(business):
    return Customer.objects.create(business=business, name="Ada", email="ada@example.com")


def post(client, headers, document):
    return client.post(URL, json.dumps(document), content_type="application/json",
                       headers=headers)


def test_it_suppresses_an_address_after_a_hard_bounce(client, anymail_secret, ada):
    response = post(client, anymail_secret, {
        "RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": 42,
        "Email": "ada@example.com", "Description": "The server was unable to deliver",
        "BouncedAt": "2025-03-01T10:00:00Z", "MessageID": "abc"})

    assert response.status_code == 200
    # A bounce is a delivery fact: the address is suppressed, no consent is withdrawn.
    assert not ConsentEvent.objects.exists()
    assert Suppression.objects.get().reason == "bounced"
    assert not consent.may_contact(ada, "email", "transactional")


def test_it_withdraws_marketing_after_a_complaint(client, anymail_secret, ada):
    post(client, anymail_secret, {
        "RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512,
        "Email": "ada@example.com", "BouncedAt": "2025-03-01T10:00:00Z", "MessageID": "abc"})

    event = ConsentEvent.objects.get(customer=ada)
    assert (event.purpose, event.granted, event.source) == ("marketing", False, "complaint")


def test_it_refuses_a_webhook_without_the_secret(client, anymail_secret, ada):
    response = post(client, {}, {"RecordType": "Bounce", "Type": "HardBounce",
                                 "Email": "ada@example.com"})
    assert 400 <= response.status_code < 500
    assert not ConsentEvent.objects.exists()
