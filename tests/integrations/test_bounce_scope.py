"""A bounce or complaint changes only what it proves. Through django-anymail's real
tracking webhook views; Postmark and SendGrid cannot be reached from here, so the tests
post the events they document, faked, with the install's basic-auth secret."""

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import ConsentEvent, Customer, Engagement, Suppression
from followthrough.integrations import email_events
from tests.feedback.conftest import make_touch

AUTH = {"Authorization": "Basic " + base64.b64encode(b"hook:secret").decode()}


@pytest.fixture(autouse=True)
def secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}


@pytest.fixture
def ada(business):
    customer = Customer.objects.create(business=business, name="Ada", email="ada@example.com",
                                       phone="+15555550123")
    consent.record_consent(customer, kinds.SMS, v.MARKETING, True, "form")
    consent.record_consent(customer, kinds.EMAIL, v.MARKETING, True, "form")
    return customer


@pytest.fixture
def ada_elsewhere(other_business):
    return Customer.objects.create(business=other_business, name="Ada",
                                   email="ada@example.com")


@pytest.fixture
def engagement_for():
    def make(customer):
        return Engagement.objects.create(business=customer.business, customer=customer,
                                         kind="Job",
                                         won_at=timezone.now() - dt.timedelta(days=3))
    return make


def postmark(client, document):
    return client.post("/integrations/anymail/postmark/tracking/", json.dumps(document),
                       content_type="application/json", headers=AUTH)


def bounce(client, email="ada@example.com", **extra):
    return postmark(client, {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1,
                             "ID": 42, "Email": email, "BouncedAt": "2025-03-01T10:00:00Z",
                             "MessageID": "abc", **extra})


def complaint(client, **extra):
    return postmark(client, {"RecordType": "SpamComplaint", "Type": "SpamComplaint",
                             "TypeCode": 512, "Email": "ada@example.com",
                             "BouncedAt": "2025-03-01T10:00:00Z", "MessageID": "abc", **extra})


def test_it_leaves_sms_and_every_consent_alone_after_a_bounce(client, ada):
    before = ConsentEvent.objects.count()
    assert bounce(client).status_code == 200
    assert ConsentEvent.objects.count() == before
    assert consent.may_contact(ada, kinds.SMS, v.MARKETING)
    assert consent.may_contact(ada, kinds.SMS, v.TRANSACTIONAL)
    assert not Suppression.objects.filter(channel=kinds.SMS).exists()


def test_it_stops_all_email_to_a_bounced_address(client, ada):
    bounce(client)
    for purpose in (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING):
        assert not consent.may_contact(ada, kinds.EMAIL, purpose)


def test_it_withdraws_only_marketing_email_after_a_complaint(client, ada):
    complaint(client)
    assert consent.latest_consent(ada, kinds.EMAIL, v.MARKETING).granted is False
    assert consent.may_contact(ada, kinds.EMAIL, v.RELATIONSHIP)
    assert consent.may_contact(ada, kinds.SMS, v.MARKETING)


def test_it_keeps_a_complaint_about_one_message_to_its_business(client, ada, ada_elsewhere,
                                                                 engagement_for):
    touch = make_touch(engagement_for(ada))
    complaint(client, Metadata={"touchpoint": touch.idempotency_key})
    assert ConsentEvent.objects.filter(customer=ada, source="complaint").exists()
    assert not ConsentEvent.objects.filter(customer=ada_elsewhere).exists()


def test_it_ignores_a_touchpoint_that_went_to_someone_else(client, ada, business,
                                                          engagement_for):
    bea = Customer.objects.create(business=business, name="Bea", email="bea@example.com")
    touch = make_touch(engagement_for(bea))
    complaint(client, Metadata={"touchpoint": touch.idempotency_key})
    assert not ConsentEvent.objects.filter(customer=bea).exists()
    assert ConsentEvent.objects.filter(customer=ada, source="complaint").exists()


def test_it_applies_the_rest_of_a_batch_after_one_event_fails(client, ada, business,
                                                             monkeypatch):
    Customer.objects.create(business=business, name="Bea", email="bea@example.com")
    real = email_events.record

    def fragile(event, esp_name):
        if event.recipient == "ada@example.com":
            raise RuntimeError("cannot apply")
        return real(event, esp_name)

    monkeypatch.setattr(email_events, "record", fragile)
    events = [{"email": address, "event": "bounce", "type": "bounce", "sg_event_id": address,
               "timestamp": 1735725600, "reason": "550 no such user"}
              for address in ("ada@example.com", "bea@example.com")]
    response = client.post("/integrations/anymail/sendgrid/tracking/", json.dumps(events),
                           content_type="application/json", headers=AUTH)
    assert response.status_code == 200
    assert Suppression.objects.count() == 1  # Bea's, after Ada's event failed

