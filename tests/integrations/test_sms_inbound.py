"""Inbound texts other than STOP and START: kept as messages of the customer's
conversation. Twilio cannot be reached from here, so each webhook post is signed in the
test with Twilio's own RequestValidator and the test auth token, as Twilio signs it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.conversations.models import Message
from followthrough.customers.models import ConsentEvent, Customer, Engagement
from followthrough.tenants.models import Business
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Status, Touchpoint
from tests.conversations import conftest as conversation_fixtures

TOKEN = "twilio-test-auth-token"
ada, job = conversation_fixtures.ada, conversation_fixtures.job


@pytest.fixture
def twilio(settings):
    settings.TWILIO_ACCOUNT_SID = "ACtest"
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM = "+15005550006"


def text(client, body="The drain is slow again, can someone come back?", sender="+12125550123",
         sid="SM0001", **extra):
    params = {"From": sender, "To": "+15005550006", "Body": body, "MessageSid": sid, **extra}
    url = "http://testserver" + reverse("sms_inbound")
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return client.post(reverse("sms_inbound"), params, headers={"X-Twilio-Signature": signature})


def sent_text(job, days_ago=1):
    now = timezone.now() - dt.timedelta(days=days_ago)
    row = lifecycle.create(
        origin=Origin.MANUAL, idempotency_key=f"text:{job.public_id}:{days_ago}",
        business=job.business, engagement=job, customer=job.customer, name="Thanks",
        channel=kinds.SMS, stage=4, element=v.THANK_YOU, purpose=v.RELATIONSHIP,
        due_at=now, local_date=now.date(), local_time=dt.time(12))
    Touchpoint.objects.filter(pk=row.pk).update(status=Status.SENT, completed_at=now)
    return row


def test_it_keeps_a_text_that_is_not_a_keyword(client, twilio, ada, job):
    response = text(client)

    assert response.status_code == 200 and b"<Message>" not in response.content
    message = Message.objects.get()
    assert (message.customer, message.channel, message.direction) == (ada, "sms", "in")
    assert message.body == "The drain is slow again, can someone come back?"
    assert message.matched_by == Message.BY_PHONE and message.message_id == "SM0001"


def test_it_still_stops_texts_on_stop_without_keeping_a_message(client, twilio, ada):
    response = text(client, body="STOP")

    assert b"unsubscribed" in response.content
    assert ConsentEvent.objects.filter(customer=ada, granted=False).count() == 3
    assert not Message.objects.exists()


def test_it_matches_the_number_however_it_is_written(client, twilio, ada):
    text(client, sender="+1 (212) 555-0123")
    assert Message.objects.get().customer == ada


def test_it_threads_a_text_to_the_job_we_last_texted_about(client, twilio, ada, job):
    row = sent_text(job)

    text(client)

    message = Message.objects.get()
    assert message.engagement == job and message.touchpoint == row


def test_it_goes_to_the_business_that_last_texted_that_number(client, twilio, ada,
                                                              other_business):
    other = Customer.objects.create(business=other_business, name="Ada L",
                                    phone="+12125550123")
    other_job = Engagement.objects.create(business=other_business, customer=other,
                                          won_at=timezone.now())
    sent_text(other_job)

    text(client)

    assert Message.objects.get().customer == other


def test_it_files_an_unknown_number_as_unmatched(client, twilio, business):
    text(client, sender="+12125550199")

    message = Message.objects.get()
    assert message.business == business and message.customer is None
    assert message.from_address == "+12125550199"


def test_it_keeps_a_text_from_a_sender_that_is_not_a_number(client, twilio, business):
    text(client, sender="ACME", body="Your code is 1234")
    assert Message.objects.get().from_address == "ACME"


def test_it_refuses_a_text_without_a_sender_with_a_reason(client, twilio, business):
    response = text(client, sender="")

    assert response.status_code == 400 and b"From" in response.content
    assert not Message.objects.exists() and not ConsentEvent.objects.exists()


def test_it_answers_a_twilio_retry_without_a_second_message(client, twilio, ada, job):
    text(client, body="Can you come on Friday instead?")
    text(client, body="Can you come on Friday instead?")

    assert Message.objects.count() == 1
    assert Touchpoint.objects.filter(idempotency_key__startswith="inbound:").count() == 1


def test_it_refuses_a_forged_signature_and_keeps_nothing(client, twilio, ada):
    response = client.post(reverse("sms_inbound"), {"From": "+12125550123", "Body": "Hi"},
                           headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403 and not Message.objects.exists()


def test_it_notes_pictures_it_does_not_keep(client, twilio, ada):
    text(client, body="", NumMedia="2")
    assert "2 pictures" in Message.objects.get().body


def test_it_keeps_a_text_for_an_install_with_several_businesses_and_no_match(
        client, twilio, business, other_business):
    text(client, sender="+12125550199")
    assert Message.objects.get().business is None


def test_it_cleans_control_characters_from_a_text(client, twilio, ada):
    text(client, body="Hi\x07 there\x1b[31m")
    assert Message.objects.get().body == "Hi there[31m"


def test_it_puts_the_install_with_one_business_first(client, twilio, business):
    assert Business.objects.count() == 1
    text(client, sender="+12125550199")
    assert Message.objects.get().business == business


@pytest.fixture
def own_numbers(settings, twilio, business, other_business):
    """Each business texts from its own number; the install has no shared one."""
    settings.TWILIO_FROM = ""
    Business.objects.filter(pk=business.pk).update(sms_from_number="+12125550100")
    Business.objects.filter(pk=other_business.pk).update(sms_from_number="+12125550111")


@pytest.fixture
def namesake(other_business):
    """A customer of the other business with Ada's number, whom that business texted last."""
    other = Customer.objects.create(business=other_business, name="Ada L",
                                    phone="+12125550123")
    sent_text(Engagement.objects.create(business=other_business, customer=other,
                                        won_at=timezone.now()))
    return other


def test_it_keeps_a_text_to_a_business_own_number_with_that_business(
        client, own_numbers, ada, namesake):
    text(client, To="+1 212 555 0100")
    assert Message.objects.get().customer == ada


def test_it_stops_texts_only_for_the_business_whose_number_got_stop(
        client, own_numbers, ada, namesake):
    text(client, body="STOP", To="+12125550100")

    assert ConsentEvent.objects.filter(customer=ada, granted=False).count() == 3
    assert not ConsentEvent.objects.filter(customer=namesake).exists()


def test_it_files_an_unknown_sender_with_the_business_whose_number_it_texted(
        client, own_numbers, other_business):
    text(client, sender="+12125550199", To="+12125550111")
    assert Message.objects.get().business == other_business
