"""Inbound email through django-anymail's real Postmark inbound view, end to end: the
worker sends our email over real SMTP (the aiosmtpd sink), and the customer's reply names
its Message-ID. Postmark itself cannot be reached from here, so its webhook post is built
from its documentation and signed with the Basic-auth secret anymail checks."""

import datetime as dt

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.conversations.models import Message, SentMessage
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business
from followthrough.touchpoints import lifecycle, worker
from followthrough.touchpoints.models import Origin, Status, Touchpoint

from .conftest import INBOUND_URL, NOON


def sent_email(ada, job, capture, now=NOON):
    """A stored email the worker sends through the sink; returns the sent Message-ID."""
    touchpoint = lifecycle.create(
        origin=Origin.MANUAL, idempotency_key=f"test:{job.public_id}", business=ada.business,
        engagement=job, customer=ada, name="Thanks", channel=kinds.EMAIL, stage=4,
        element=v.THANK_YOU, purpose=v.TRANSACTIONAL, due_at=now - dt.timedelta(minutes=1),
        local_date=now.date(), local_time=dt.time(12), rendered_subject="Thanks",
        rendered_body="Thanks for having us.")
    with capture(execute=True):
        assert worker.run_once(now=now).sent == 1
    touchpoint.refresh_from_db()
    return touchpoint


def test_it_matches_a_reply_by_in_reply_to_over_a_real_smtp_send(
        sink, postmark, ada, job, django_capture_on_commit_callbacks):
    touchpoint = sent_email(ada, job, django_capture_on_commit_callbacks)
    sent_id = sink.handler.received[0]["Message-ID"]
    assert SentMessage.objects.get(message_id=sent_id).touchpoint == touchpoint

    # From another address of theirs: only the thread can tell it is Ada.
    response = postmark(from_="ada.home@example.net", text="Thanks, all good!",
                        headers=[("In-Reply-To", sent_id)])

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.customer, message.engagement, message.touchpoint) == (ada, job, touchpoint)
    assert message.matched_by == Message.BY_THREAD and message.direction == Message.IN


def test_it_matches_by_references_when_in_reply_to_is_unknown(
        sink, postmark, ada, job, django_capture_on_commit_callbacks):
    sent_email(ada, job, django_capture_on_commit_callbacks)
    sent_id = sink.handler.received[0]["Message-ID"]

    postmark(from_="someone@example.org", headers=[
        ("In-Reply-To", "<unknown@elsewhere>"), ("References", f"{sent_id} <unknown@elsewhere>")])

    assert Message.objects.get().customer == ada


def test_it_matches_by_the_sender_address_scoped_to_the_business(
        postmark, ada, job, other_business):
    stranger = Customer.objects.create(business=other_business, name="Other Ada",
                                       email="ada@example.com")

    postmark(text="Can you come on Friday?")

    message = Message.objects.get()
    assert message.customer == ada and message.customer != stranger
    assert message.matched_by == Message.BY_ADDRESS and message.engagement is None


def test_it_files_an_unknown_sender_as_unmatched_in_the_addressed_business(
        postmark, business, other_business):
    postmark(from_="new@example.com", to="hello@bright.example", text="Do you deliver?")

    message = Message.objects.get()
    assert message.business == other_business and message.customer is None


def test_it_keeps_a_message_no_business_can_claim(postmark, business, other_business):
    postmark(from_="new@example.com", to="nobody@elsewhere.example", text="Hello?")

    assert Message.objects.get().business is None


def test_it_answers_a_provider_retry_without_a_second_message(postmark, ada, job):
    postmark(text="See you Friday")
    postmark(text="See you Friday")

    assert Message.objects.count() == 1
    assert Touchpoint.objects.filter(idempotency_key__startswith="inbound:").count() == 1


def test_it_refuses_a_message_without_a_sender_with_a_reason(postmark, business):
    response = postmark(from_="")

    assert response.status_code == 400
    assert "Invalid address" in response.content.decode()
    assert not Message.objects.exists()


def test_it_refuses_a_message_whose_from_has_no_address(postmark, business):
    response = postmark(from_="ada@example.com", RawEmail="Subject: Hi\r\n\r\nNo From here")

    assert response.status_code == 400
    assert "no sender address" in response.content.decode()


def test_it_refuses_an_oversized_request_with_413_and_a_reason(settings, postmark, business):
    settings.INBOUND_EMAIL_MAX_BYTES = 2000

    response = postmark(text="x" * 5000)

    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not Message.objects.exists()


def test_it_refuses_a_post_over_djangos_body_limit_with_413(settings, postmark, business):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3000

    response = postmark(text="x" * 5000)

    assert response.status_code == 413
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.content.decode()


def test_it_keeps_a_long_body_up_to_the_limit_and_says_it_was_cut(postmark, ada):
    postmark(text="words" * 6000)

    message = Message.objects.get()
    assert message.truncated and len(message.body) == 20_000


def test_it_reads_the_html_part_when_there_is_no_plain_text(postmark, ada):
    postmark(text="", html="<p>Tom &amp; I loved it</p><p>Thanks<script>x()</script></p>")

    assert Message.objects.get().body == "Tom & I loved it\nThanks"


def test_it_is_off_without_the_webhook_secret(client, settings, business):
    settings.ANYMAIL = {}
    assert client.post(INBOUND_URL, "{}", content_type="application/json").status_code == 404


def test_it_refuses_a_post_with_the_wrong_secret(postmark, client, ada):
    response = client.post(INBOUND_URL, "{}", content_type="application/json",
                           headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
    assert response.status_code in (400, 403)
    assert not Message.objects.exists()


@pytest.mark.parametrize("kind", [Message.AUTO_REPLY, Message.BOUNCE])
def test_it_files_automatic_answers_apart(postmark, ada, job, kind):
    if kind == Message.AUTO_REPLY:
        postmark(subject="Automatic reply: Thanks", text="I'm away until Monday.",
                 headers=[("Auto-Submitted", "auto-replied")])
    else:
        postmark(from_="MAILER-DAEMON@mx.example.com", subject="Undeliverable: Thanks",
                 text="Your message could not be delivered. The refund desk is closed.")

    message = Message.objects.get()
    assert message.automatic == kind and not message.is_complaint
    assert not Touchpoint.objects.filter(customer=ada).exclude(status=Status.SENT).exists()


def test_it_uses_the_business_reply_to_address(postmark, business):
    Business.objects.filter(pk=business.pk).update(reply_to_email="replies@riverside.example")
    Business.objects.create(slug="third", name="Third", sender_email="x@third.example")

    postmark(from_="new@example.com", to="Replies@Riverside.example")

    assert Message.objects.get().business == business


def test_it_threads_the_reply_to_the_job_of_the_email_it_answers(
        sink, postmark, ada, job, django_capture_on_commit_callbacks):
    older = Engagement.objects.create(business=ada.business, customer=ada, kind="Job",
                                      description="Boiler", won_at=NOON - dt.timedelta(days=90))
    sent_email(ada, older, django_capture_on_commit_callbacks)

    postmark(headers=[("In-Reply-To", sink.handler.received[0]["Message-ID"])])

    assert Message.objects.get().engagement == older
