"""SMS through Twilio. Twilio's API cannot be reached from here, so a local HTTP server
plays it (tests/integrations/httpserver.py) and TWILIO_API_BASE points the official twilio
client at it; the client, its request encoding and its error handling are the real ones."""

import datetime as dt
import urllib.parse

import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from followthrough.customers.models import ConsentEvent, Customer, Engagement
from followthrough.integrations.sms import segment_info
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status, Touchpoint

from .httpserver import Recorder, serve

TOKEN = "twilio-test-auth-token"


@pytest.fixture
def twilio(settings):
    recorder = Recorder()

    def answer(handler, body):
        form = urllib.parse.parse_qs(body.decode())
        if form.get("To") == ["+15005550001"]:
            return 400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
        return 201, {"sid": f"SM{len(recorder.requests):032d}", "status": "queued",
                     "to": form["To"][0], "from": form["From"][0], "body": form["Body"][0]}

    server = serve(recorder, answer)
    settings.TWILIO_ACCOUNT_SID = "ACtest"
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield recorder
    server.shutdown()


def due_text_for(business, phone="+12125550123", purpose="relationship"):
    business.quiet_hours_start, business.quiet_hours_end = dt.time(3, 0), dt.time(3, 1)
    business.save()
    customer = Customer.objects.create(business=business, name="Ada Lovelace",
                                       email="ada@example.com", phone=phone)
    playbook = Playbook.objects.create(business=business, slug="texts", name="Texts")
    step = Step.objects.create(playbook=playbook, name="Thanks", channel="sms",
                               body="Hi {{ customer_first_name }}, thanks for today!")
    engagement = Engagement.objects.create(business=business, customer=customer,
                                           playbook=playbook, won_at=timezone.now())
    now = timezone.now()
    return Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, step=step,
        idempotency_key=f"{engagement.public_id}:{step.public_id}:0", name="Thanks",
        channel="sms", stage=4, element="thank_you", purpose=purpose,
        due_at=now - dt.timedelta(minutes=1), local_date=now.date(), local_time=dt.time(10))


@pytest.fixture
def due_text(business):
    return due_text_for(business)


def test_it_sends_a_due_text_through_twilio(twilio, due_text):
    report = worker.run_once()

    assert report.sent == 1
    request = twilio.requests[0]
    assert request["path"] == "/2010-04-01/Accounts/ACtest/Messages.json"
    form = urllib.parse.parse_qs(request["body"].decode())
    assert form["To"] == ["+12125550123"] and form["From"] == ["+15005550006"]
    assert form["Body"][0].startswith("Riverside Plumbing: Hi Ada, thanks for today!")
    assert form["Body"][0].endswith("Reply STOP to opt out.")
    assert form["StatusCallback"] == ["http://testserver/integrations/sms/status"]
    due_text.refresh_from_db()
    assert due_text.status == Status.SENT and due_text.message_id.startswith("SM")


def test_it_leaves_texts_planned_without_twilio_settings(settings, due_text):
    settings.TWILIO_ACCOUNT_SID = ""
    assert worker.run_once().claimed == 0
    due_text.refresh_from_db()
    assert due_text.status == Status.PLANNED


def test_it_fails_a_text_to_an_invalid_number_for_good(twilio, due_text):
    Customer.objects.filter(pk=due_text.customer_id).update(phone="+15005550001")
    worker.run_once()
    due_text.refresh_from_db()
    assert due_text.status == Status.FAILED and "21211" in due_text.last_error


def signed_post(client, name, params, token=TOKEN):
    url = "http://testserver" + reverse(name)
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(reverse(name), params, headers={"X-Twilio-Signature": signature})


def test_it_stops_texts_after_stop_with_one_confirmation(client, twilio, due_text):
    first = signed_post(client, "sms_inbound", {"From": "+12125550123", "Body": " stop "})
    again = signed_post(client, "sms_inbound", {"From": "+12125550123", "Body": "STOP"})

    assert first.content.decode().count("<Message>") == 1
    assert b"unsubscribed" in first.content
    assert b"<Message>" not in again.content
    events = ConsentEvent.objects.filter(customer=due_text.customer, channel="sms")
    assert {(e.purpose, e.granted) for e in events} == {
        ("transactional", False), ("relationship", False), ("marketing", False)}
    worker.run_once()
    due_text.refresh_from_db()
    assert due_text.status == Status.SKIPPED and not twilio.requests


@pytest.mark.parametrize("word", ["QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE"])
def test_it_treats_the_synonyms_as_stop(client, twilio, due_text, word):
    response = signed_post(client, "sms_inbound", {"From": "+12125550123", "Body": word})
    assert b"<Message>" in response.content
    assert ConsentEvent.objects.filter(granted=False).count() == 3


def test_it_restores_texts_after_start(client, twilio, due_text):
    signed_post(client, "sms_inbound", {"From": "+12125550123", "Body": "STOP"})
    response = signed_post(client, "sms_inbound", {"From": "+12125550123", "Body": "START"})

    assert b"Welcome back" in response.content
    assert worker.run_once().sent == 1


def test_it_refuses_a_forged_twilio_signature(client, twilio, due_text):
    response = client.post(reverse("sms_inbound"), {"From": "+12125550123", "Body": "STOP"},
                           headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()


def test_it_notes_an_undelivered_text(client, twilio, due_text):
    Touchpoint.objects.filter(pk=due_text.pk).update(status="sent", message_id="SM123")
    signed_post(client, "sms_status", {"MessageSid": "SM123", "MessageStatus": "undelivered",
                                       "ErrorCode": "30003"})
    due_text.refresh_from_db()
    assert "undelivered" in due_text.last_error and "30003" in due_text.last_error


def test_it_counts_segments_and_flags_non_gsm_characters():
    assert segment_info("a" * 160)["segments"] == 1
    assert segment_info("a" * 161)["segments"] == 2
    assert segment_info("€" * 80)["length"] == 160
    info = segment_info("Thanks 😊")
    assert (info["encoding"], info["non_gsm"], info["segments"]) == ("UCS-2", ["😊"], 1)


def test_it_shows_the_segment_count_in_the_step_editor(owner_client):
    response = owner_client.get(reverse("sms_segments"), {"body": "Hi ’there’", "channel": "sms"})
    assert b"UCS-2" in response.content and "’".encode() in response.content
