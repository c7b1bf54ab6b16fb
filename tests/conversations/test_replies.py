"""The owner's reply: queued as a touchpoint, sent by the real worker over SMTP (the
aiosmtpd sink) or to Twilio (a local HTTP server plays Twilio's API: it cannot be reached
from here), with consent and quiet hours applied as for any message."""

import datetime as dt
import urllib.parse

import pytest

from followthrough.channels import kinds
from followthrough.conversations import services
from followthrough.conversations.matching import Match
from followthrough.conversations.models import Message
from followthrough.customers.models import ConsentEvent
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status, Touchpoint
from tests.integrations.httpserver import Recorder, serve

from .conftest import NOON


@pytest.fixture
def twilio(settings):
    recorder = Recorder()

    def answer(handler, body):
        form = urllib.parse.parse_qs(body.decode())
        return 201, {"sid": f"SM{len(recorder.requests):032d}", "status": "queued",
                     "to": form["To"][0], "from": form["From"][0], "body": form["Body"][0]}

    server = serve(recorder, answer)
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "ACtest", "token"
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield recorder
    server.shutdown()


def inbound(ada, channel="sms", subject=""):
    sender = ada.phone if channel == "sms" else ada.email
    return services.receive(services.Incoming(
        channel=channel, sender=sender, body="Can you come Friday?", subject=subject,
        received_at=NOON - dt.timedelta(minutes=30)), Match(ada.business, ada))[0]


def withdraw(ada, channel, purposes):
    for purpose in purposes:
        ConsentEvent.objects.create(business=ada.business, customer=ada, channel=channel,
                                    purpose=purpose, granted=False, source="test")


def test_it_sends_an_email_reply_through_the_worker(sink, ada, job):
    answering = inbound(ada, "email", subject="Booking")

    message = services.reply(ada.business, ada, kinds.EMAIL, "Friday at 9 works.",
                             answering=answering, now=NOON)
    assert worker.run_once(now=NOON + dt.timedelta(minutes=1)).sent == 1

    sent = sink.handler.received[0]
    assert sent["Subject"] == "Re: Booking" and sent["To"].endswith("<ada@example.com>")
    assert "Friday at 9 works." in sent.get_payload(0).get_payload(decode=True).decode()
    message.touchpoint.refresh_from_db()
    assert message.touchpoint.status == Status.SENT and message.direction == Message.OUT


def test_it_threads_an_email_reply_under_the_customers_message(sink, ada, job):
    answering = services.receive(services.Incoming(
        channel="email", sender=ada.email, body="Can you come Friday?", subject="Booking",
        message_id="<ada-3@example.com>", in_reply_to="<ours-2@riverside.example>",
        references="<ours-1@riverside.example> <ada-2@example.com> <ours-2@riverside.example>",
        received_at=NOON - dt.timedelta(minutes=30)), Match(ada.business, ada))[0]

    services.reply(ada.business, ada, kinds.EMAIL, "Friday at 9 works.",
                   answering=answering, now=NOON)
    worker.run_once(now=NOON + dt.timedelta(minutes=1))

    sent = sink.handler.received[0]
    assert sent["In-Reply-To"] == "<ada-3@example.com>"
    chain = " ".join(sent["References"].split())  # a long header may be folded
    assert chain == ("<ours-1@riverside.example> <ada-2@example.com> "
                     "<ours-2@riverside.example> <ada-3@example.com>")


def test_it_sends_a_message_out_of_the_blue_without_thread_headers(sink, ada, job):
    services.reply(ada.business, ada, kinds.EMAIL, "We have a new booking page.", now=NOON)
    worker.run_once(now=NOON + dt.timedelta(minutes=1))

    sent = sink.handler.received[0]
    assert sent["In-Reply-To"] is None and sent["References"] is None


def test_it_sends_an_sms_reply_to_a_text_as_transactional(twilio, ada, job):
    # They opted out of relationship texts; answering their own question is still allowed.
    withdraw(ada, kinds.SMS, ["relationship", "marketing"])
    answering = inbound(ada)

    message = services.reply(ada.business, ada, kinds.SMS, "Yes, Friday at 9.",
                             answering=answering, now=NOON)
    worker.run_once(now=NOON + dt.timedelta(minutes=1))

    assert message.touchpoint.purpose == "transactional"
    body = urllib.parse.parse_qs(twilio.requests[0]["body"].decode())["Body"][0]
    assert body == "Riverside Plumbing: Yes, Friday at 9."  # no STOP hint on a transactional


def test_it_holds_back_a_reply_to_someone_who_texted_stop(twilio, ada, job):
    answering = inbound(ada)
    withdraw(ada, kinds.SMS, ["transactional", "relationship", "marketing"])

    message = services.reply(ada.business, ada, kinds.SMS, "Sorry to hear.",
                             answering=answering, now=NOON)
    worker.run_once(now=NOON + dt.timedelta(minutes=1))

    message.touchpoint.refresh_from_db()
    assert message.touchpoint.status == Status.SKIPPED and not twilio.requests


def test_it_holds_an_out_of_the_blue_message_to_its_consent(twilio, ada, job):
    withdraw(ada, kinds.SMS, ["relationship"])

    message = services.reply(ada.business, ada, kinds.SMS, "News!", now=NOON)
    worker.run_once(now=NOON + dt.timedelta(minutes=1))

    message.touchpoint.refresh_from_db()
    assert message.touchpoint.purpose == "relationship"
    assert message.touchpoint.status == Status.SKIPPED


def test_it_waits_out_quiet_hours(sink, ada, job):
    three_am = dt.datetime(2026, 6, 10, 7, 0, tzinfo=dt.UTC)  # 03:00 in New York

    message = services.reply(ada.business, ada, kinds.EMAIL, "Will do.", now=three_am)
    worker.run_once(now=three_am + dt.timedelta(minutes=1))

    message.touchpoint.refresh_from_db()
    assert message.touchpoint.status == Status.PLANNED and not sink.handler.received
    assert message.touchpoint.due_at > three_am + dt.timedelta(hours=1)


def test_it_marks_the_waiting_reply_touch_done(ada, job):
    answering = inbound(ada)
    waiting = Touchpoint.objects.get(idempotency_key__startswith="inbound:")

    services.reply(ada.business, ada, kinds.SMS, "Yes.", answering=answering, now=NOON)

    waiting.refresh_from_db()
    assert waiting.status == Status.DONE


@pytest.mark.parametrize(("channel", "change", "field"), [
    (kinds.EMAIL, {"email": ""}, "channel"),
    (kinds.SMS, {"phone": ""}, "channel"),
    (kinds.EMAIL, {}, "body"),
])
def test_it_refuses_a_reply_it_cannot_send_naming_the_field(ada, job, channel, change, field):
    for name, value in change.items():
        setattr(ada, name, value)
    body = "" if field == "body" else "Hello"

    with pytest.raises(services.ValidationError) as refused:
        services.reply(ada.business, ada, channel, body, now=NOON)

    assert field in refused.value.message_dict
    assert not Touchpoint.objects.exists() and not Message.objects.exists()


def test_it_refuses_a_reply_for_a_customer_without_a_job(ada):
    with pytest.raises(services.ValidationError, match="sale or job"):
        services.reply(ada.business, ada, kinds.EMAIL, "Hello", now=NOON)
