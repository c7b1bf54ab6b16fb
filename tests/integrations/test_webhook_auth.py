"""Provider webhooks are authenticated or off: without its secret an endpoint answers 404,
and start-up says which are off and why. The providers themselves (Postmark, Mailgun,
Twilio) cannot be reached from here: the tests post what they document, faked."""

import base64
import json
import logging

import pytest

from followthrough.customers.models import ConsentEvent, Customer, Suppression
from followthrough.integrations import webhook_auth
from followthrough.integrations.models import InboundSource

POSTMARK = "/integrations/anymail/postmark/tracking/"
BOUNCE = {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": 42,
          "Email": "ada@example.com", "BouncedAt": "2025-03-01T10:00:00Z", "MessageID": "abc"}


@pytest.fixture
def ada(business):
    return Customer.objects.create(business=business, name="Ada", email="ada@example.com")


def post(client, url, document, **headers):
    return client.post(url, json.dumps(document), content_type="application/json",
                       headers=headers)


def test_it_answers_404_to_a_forged_bounce_without_a_secret(client, settings, ada):
    settings.ANYMAIL = {}
    response = post(client, POSTMARK, BOUNCE)
    assert response.status_code == 404
    assert not ConsentEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_it_answers_404_when_the_secret_has_no_password(client, settings, ada):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook"}
    auth = "Basic " + base64.b64encode(b"hook:").decode()
    assert post(client, POSTMARK, BOUNCE, Authorization=auth).status_code == 404
    assert not Suppression.objects.exists()


def test_it_turns_a_provider_on_with_its_own_signing_key(client, settings, ada):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "key-123"}
    response = post(client, "/integrations/anymail/mailgun/tracking/",
                    {"signature": {"timestamp": "1", "token": "t", "signature": "forged"},
                     "event-data": {"event": "failed", "severity": "permanent",
                                    "recipient": "ada@example.com"}})
    assert response.status_code == 400  # mounted, and anymail refuses the forged signature
    assert not Suppression.objects.exists()
    assert post(client, POSTMARK, BOUNCE).status_code == 404  # basic auth is still unset


@pytest.mark.parametrize("path", ["mailgun/inbound/", "mailgun/inbound_mime/"])
def test_it_mounts_mailguns_inbound_routes_behind_its_signing_key(client, settings, db, path):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "key-123"}
    response = client.post(f"/integrations/anymail/{path}",
                           {"timestamp": "1", "token": "t", "signature": "forged"})
    assert response.status_code == 400  # mounted, and anymail refuses the forged signature


def test_it_routes_no_endpoint_we_have_no_use_for(client, settings, db):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    auth = "Basic " + base64.b64encode(b"hook:secret").decode()
    for url in ("/integrations/anymail/mandrill/tracking/",
                "/integrations/anymail/mailersend/inbound/",
                "/integrations/anymail/unisender_go/tracking/"):
        assert post(client, url, {}, Authorization=auth).status_code == 404, url


def test_it_answers_404_on_twilio_webhooks_without_the_auth_token(client, settings, ada):
    settings.TWILIO_AUTH_TOKEN = ""
    ada.phone = "+15555550123"
    ada.save()
    response = client.post("/integrations/sms/inbound", {"From": "+15555550123",
                                                          "Body": "STOP"})
    assert response.status_code == 404
    assert not ConsentEvent.objects.exists()
    assert client.post("/integrations/sms/status", {}).status_code == 404


def test_it_logs_each_endpoint_that_is_off_and_why(settings, caplog):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    settings.EMAIL_PROVIDER = "mailgun"
    settings.TWILIO_AUTH_TOKEN = ""
    with caplog.at_level(logging.DEBUG, logger="followthrough.integrations"):
        webhook_auth.report()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    [summary] = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert warnings == ["Webhook /integrations/anymail/mailgun/tracking/ is off: "
                        "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY is not set; bounces and "
                        "complaints will not be recorded."]
    assert "sms/inbound and sms/status (TWILIO_AUTH_TOKEN is not set)" in summary
    assert "resend" in summary and "postmark" not in summary


def test_it_reports_at_start_up(settings, caplog):
    from django.apps import apps

    settings.ANYMAIL = {}
    with caplog.at_level(logging.DEBUG, logger="followthrough.integrations"):
        apps.get_app_config("integrations").ready()
    assert any("anymail/postmark/tracking/ (ANYMAIL_WEBHOOK_SECRET is not set)"
               in r.getMessage() for r in caplog.records)


def test_it_refuses_a_sales_webhook_without_a_secret(client, business):
    source = InboundSource.objects.create(business=business, provider=InboundSource.GENERIC,
                                          secret="")
    response = client.post(f"/integrations/inbound/{source.token}", b"{}",
                           content_type="application/json")
    assert response.status_code == 401


def test_it_keeps_quiet_about_providers_nobody_chose(settings, caplog):
    """Every process (web, worker, each command) reports: an install that set up no
    provider would otherwise print a long line each time."""
    settings.ANYMAIL = {}
    settings.EMAIL_PROVIDER = ""
    settings.TWILIO_ACCOUNT_SID = ""
    with caplog.at_level(logging.INFO, logger="followthrough.integrations"):
        webhook_auth.report()
    assert not caplog.records
