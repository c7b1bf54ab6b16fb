import datetime as dt
import hashlib
import hmac
import json
import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough import events
from followthrough.integrations import outbound
from followthrough.integrations.models import WebhookDelivery, WebhookEndpoint

from .httpserver import Recorder, serve


@pytest.fixture
def receiver_server(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the test server is on loopback
    recorder = Recorder()
    server = serve(recorder)
    yield recorder, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def subscribe(business, url, event=events.INCIDENT_OPENED, format="signed"):
    return WebhookEndpoint.objects.create(business=business, url=url, events=[event],
                                          format=format)


def test_it_posts_a_signed_event(business, receiver_server):
    recorder, url = receiver_server
    hook = subscribe(business, url)

    events.domain_event.send(sender=None, business=business, name=events.INCIDENT_OPENED,
                             payloads=[{"incident": "abc", "customer": "c1"}])
    assert outbound.deliver_due() == 1

    request = recorder.requests[0]
    stamp, signature = [p.split("=", 1)[1] for p in
                        request["headers"]["X-Followthrough-Signature"].split(",")]
    expected = hmac.new(hook.secret.encode(), f"{stamp}.".encode() + request["body"],
                        hashlib.sha256).hexdigest()
    assert signature == expected
    assert json.loads(request["body"])["data"] == {"incident": "abc", "customer": "c1"}
    assert WebhookDelivery.objects.get().status == "delivered"


def test_it_ignores_events_nobody_subscribed_to(business, receiver_server):
    subscribe(business, receiver_server[1])
    events.domain_event.send(sender=None, business=business, name=events.TOUCHPOINT_SENT,
                             payloads=[{}])
    assert not WebhookDelivery.objects.exists()


def test_it_retries_with_backoff_then_gives_up(business, receiver_server, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    recorder, url = receiver_server
    recorder.answers = [(500, b"oops"), (503, b"busy")]
    subscribe(business, url)
    events.domain_event.send(sender=None, business=business, name=events.INCIDENT_OPENED,
                             payloads=[{}])

    outbound.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)

    outbound.deliver_due(now=timezone.now() + dt.timedelta(minutes=5))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert "Gave up" in delivery.last_error


def test_it_sends_slack_a_short_text(business, receiver_server):
    recorder, url = receiver_server
    subscribe(business, url, format="slack")
    events.domain_event.send(sender=None, business=business, name=events.INCIDENT_OPENED,
                             payloads=[{"customer_name": "Ada"}])
    outbound.deliver_due()

    body = json.loads(recorder.requests[0]["body"])
    assert "Ada is unhappy" in body["text"]
    assert "X-Followthrough-Signature" not in recorder.requests[0]["headers"]


def test_it_connects_to_the_address_it_vetted_even_if_the_name_rebinds(
        business, monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    recorder = Recorder()
    server = serve(recorder)
    port = server.server_port
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])  # public, then rebound
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))])
    real_connect, dialled = socket.create_connection, []

    def connect(address, *args, **kwargs):
        dialled.append(address)  # the vetted public server is played by the test server
        return real_connect(("127.0.0.1", address[1]), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    subscribe(business, f"http://hooks.customer.example:{port}/hook")
    events.domain_event.send(sender=None, business=business, name=events.INCIDENT_OPENED,
                             payloads=[{}])
    try:
        assert outbound.deliver_due() == 1
    finally:
        server.shutdown()
    assert dialled == [("93.184.216.34", port)]
    assert recorder.requests[0]["headers"]["Host"] == f"hooks.customer.example:{port}"


def test_it_refuses_private_and_loopback_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    for url in ["http://127.0.0.1/x", "http://10.0.0.5/x", "http://[::1]/x",
                "http://169.254.169.254/latest", "http://localhost:8000/"]:
        assert "private or local" in outbound.url_problem(url), url
    assert outbound.url_problem("ftp://example.com/") == "Use an http:// or https:// address."


def test_it_refuses_a_loopback_webhook_in_settings(owner_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = owner_client.post(reverse("settings_integrations"), {
        "action": "webhook", "hook-format": "signed", "hook-url": "http://127.0.0.1:9/x",
        "hook-events": [events.INCIDENT_OPENED]})
    assert response.status_code == 400
    assert b"private or local" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_it_shows_the_secret_once_and_the_delivery_log(owner_client, business, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    owner_client.post(reverse("settings_integrations"), {
        "action": "webhook", "hook-format": "signed", "hook-url": "http://127.0.0.1:9/x",
        "hook-events": [events.INCIDENT_OPENED]})
    hook = WebhookEndpoint.objects.get(business=business)

    assert hook.secret in owner_client.get(reverse("settings_integrations")).content.decode()
    assert hook.secret not in owner_client.get(reverse("settings_integrations")).content.decode()

    WebhookDelivery.objects.create(business=business, endpoint=hook, event="incident.opened",
                                   next_attempt_at=timezone.now(), last_error="Could not connect")
    page = owner_client.get(reverse("webhook_detail", args=[hook.public_id]))
    assert b"Could not connect" in page.content
