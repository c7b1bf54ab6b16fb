"""What a new reply sets off: a "Reply to …" touch on Today, an incident when it reads as a
complaint, the `inbound.received` webhook, and nothing at all for automatic answers. The
webhook's receiver is a local HTTP server (tests/integrations/httpserver.py)."""

import json

import pytest
from django.utils import timezone

from followthrough import events
from followthrough.conversations import services
from followthrough.conversations.matching import Match
from followthrough.conversations.models import Message
from followthrough.feedback.models import Incident
from followthrough.integrations import outbound
from followthrough.integrations.models import WebhookDelivery, WebhookEndpoint
from followthrough.touchpoints.models import Status, Touchpoint
from tests.integrations import test_outbound


def incoming(body="Can you come on Friday instead?", **fields):
    return services.Incoming(channel="sms", sender="+12125550123", body=body,
                             received_at=timezone.now(), **fields)


def receive(customer, body="Can you come on Friday instead?", **fields):
    match = Match(customer.business, customer, by=Message.BY_PHONE)
    return services.receive(incoming(body, **fields), match)[0]


receiver_server = test_outbound.receiver_server


def reply_touches(customer):
    return Touchpoint.objects.filter(customer=customer, idempotency_key__startswith="inbound:")


def test_it_puts_a_reply_touch_on_today(ada, job):
    message = receive(ada)

    touch = reply_touches(ada).get()
    assert touch.name == "Reply to Ada Lovelace" and touch.status == Status.PLANNED
    assert touch.channel == "call" and touch.engagement == job
    assert touch.due_at <= timezone.now() and "Friday" in touch.rendered_body
    assert message.public_id in touch.idempotency_key


def test_it_keeps_one_waiting_reply_touch_per_customer(ada, job):
    receive(ada, "Friday?")
    receive(ada, "Or Saturday?")

    assert reply_touches(ada).count() == 1


def test_it_opens_an_incident_for_a_reply_that_reads_as_a_complaint(ada, job):
    message = receive(ada, "The drain is slow again, can someone come back?")

    incident = Incident.objects.get(customer=ada)
    assert incident.reason == Incident.COMPLAINT and "slow again" in incident.summary
    assert "problem is back" in message.complaint_reason
    assert not reply_touches(ada).exists()  # the recovery call is the touch
    assert Touchpoint.objects.filter(customer=ada, origin="incident_recovery").exists()


def test_it_opens_an_incident_for_a_low_score_typed_as_a_number(ada, job):
    receive(ada, "3")
    assert Incident.objects.filter(customer=ada).exists()


def test_it_fires_the_inbound_received_webhook(ada, job, receiver_server,
                                               django_capture_on_commit_callbacks):
    recorder, url = receiver_server
    WebhookEndpoint.objects.create(business=ada.business, url=url,
                                   events=[events.INBOUND_RECEIVED])

    with django_capture_on_commit_callbacks(execute=True):
        message = receive(ada)
    assert outbound.deliver_due() == 1

    document = json.loads(recorder.requests[0]["body"])
    assert document["event"] == "inbound.received"
    assert document["data"]["message"] == message.public_id
    assert document["data"]["customer"] == ada.public_id
    assert document["data"]["complaint"] is False


def test_it_fires_the_webhook_for_an_unmatched_message_too(business,
                                                          django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(business=business, url="https://example.com/h",
                                   events=[events.INBOUND_RECEIVED])

    with django_capture_on_commit_callbacks(execute=True):
        services.receive(incoming(), Match(business))

    assert WebhookDelivery.objects.get().payload["customer"] is None


@pytest.mark.parametrize("kind", [Message.AUTO_REPLY, Message.BOUNCE])
def test_it_does_nothing_for_an_automatic_answer(ada, job, kind,
                                                django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(business=ada.business, url="https://example.com/h",
                                   events=[events.INBOUND_RECEIVED])

    with django_capture_on_commit_callbacks(execute=True):
        message = receive(ada, "Out of office. For a refund call the desk.", automatic=kind)

    assert message.automatic == kind and not message.complaint_reason
    assert not reply_touches(ada).exists() and not Incident.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_it_keeps_the_message_when_a_reaction_fails(ada, job, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template missing")
    monkeypatch.setattr(services.feedback, "personal_touch", broken)

    message = receive(ada)

    assert Message.objects.filter(pk=message.pk).exists()


def test_it_puts_a_reply_touch_on_today_for_a_customer_with_no_job(ada, owner_client):
    message = receive(ada)

    touch = reply_touches(ada).get()
    assert touch.engagement is None and touch.status == Status.PLANNED
    assert message.public_id in touch.idempotency_key and "Friday" in touch.rendered_body
    today = owner_client.get("/today/").content.decode()
    assert "Reply to Ada Lovelace" in today and "no job yet" in today


def test_it_files_a_complaint_from_a_customer_with_no_job_as_a_reply_touch(ada):
    receive(ada, "Still leaking, not happy at all.")

    assert reply_touches(ada).get().engagement is None
    assert not Incident.objects.exists()


def test_it_lets_the_owner_close_a_reply_touch_with_no_job(ada, owner_client):
    receive(ada)
    touch = reply_touches(ada).get()

    response = owner_client.post(f"/touches/{touch.public_id}/done/")

    touch.refresh_from_db()
    assert response.status_code in (200, 302) and touch.status == Status.DONE
    page = owner_client.get(f"/customers/{ada.public_id}/")
    assert page.status_code == 200 and "Reply to Ada Lovelace" in page.content.decode()


def test_it_takes_the_other_card_actions_on_a_reply_touch_with_no_job(ada, owner_client):
    receive(ada)
    touch = reply_touches(ada).get()

    asked = owner_client.post(f"/touches/{touch.public_id}/else/", {"text": "A boiler quote"})
    missed = owner_client.post(f"/touches/{touch.public_id}/outcome/",
                               {"outcome": "no_answer"})

    assert asked.status_code == 302 and missed.status_code in (200, 302)
    touch.refresh_from_db()
    assert touch.status == Status.PLANNED and touch.due_at > timezone.now()


def test_it_lists_and_exports_a_reply_touch_with_no_job(ada, owner_client, client):
    from followthrough.agenda.feed import touch_event
    from followthrough.api.models import ApiKey

    receive(ada)
    touch = reply_touches(ada).get()
    key = ApiKey.issue(ada.business, "Tests")[1]

    listed = client.get("/api/v1/touchpoints", headers={"Authorization": f"Bearer {key}"})
    exported = owner_client.get("/integrations/export/touchpoints.csv")

    assert listed.status_code == 200
    assert [item["engagement"] for item in listed.json()["items"]] == [None]
    assert exported.status_code == 200 and touch.public_id in b"".join(
        exported.streaming_content).decode()
    assert "For:" not in str(touch_event(touch).get("description"))


def test_it_acts_on_an_unmatched_message_once_it_is_attached(business, ada, job):
    message, _ = services.receive(incoming("Still leaking under the sink"), Match(business))
    assert not Incident.objects.exists()

    services.attach(message, ada)

    message.refresh_from_db()
    assert message.customer == ada and message.matched_by == Message.BY_HAND
    assert Incident.objects.filter(customer=ada).exists()
