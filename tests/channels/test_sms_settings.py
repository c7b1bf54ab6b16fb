"""Settings → Text messages: a business's own Twilio account (the auth token encrypted and
never shown back), the TWILIO_* environment overriding it, and "Send me a test text".

Twilio's API cannot be reached from here, so a local HTTP server plays it
(tests/integrations/httpserver.py) and TWILIO_API_BASE points the official twilio client
at it: the client, its request, its authentication header and its error handling are the
real ones; only Twilio's answers are made up, in Twilio's own JSON shape."""

import base64
import urllib.parse

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from twilio.request_validator import RequestValidator

from followthrough.customers.models import Customer
from followthrough.tenants.models import AuditEntry, Business, Membership
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status
from tests.integrations.httpserver import Recorder, serve
from tests.integrations.test_sms import due_text_for

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedcafe0123456789abcdef1234"
FROM = "+15005550006"
PAGE = "/settings/texts/"
TEST = "/settings/texts/test/"


@pytest.fixture(autouse=True)
def fresh_test_text_pause():
    # Businesses get the same integer key in every test: one test's pause would hold the next.
    cache.clear()


@pytest.fixture
def fake_twilio(settings):
    """Twilio's Messages API on a local port, answering as Twilio does."""
    recorder = Recorder()
    recorder.refuse = None  # (status, code, message) to answer the next request with

    def answer(handler, body):
        if recorder.refuse:
            status, code, message = recorder.refuse
            return status, {"code": code, "message": message, "status": status,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        form = urllib.parse.parse_qs(body.decode())
        return 201, {"sid": f"SM{len(recorder.requests):032d}", "status": "queued",
                     "to": form["To"][0], "from": form["From"][0], "body": form["Body"][0]}

    server = serve(recorder, answer)
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield recorder
    server.shutdown()


@pytest.fixture
def texting(business):
    business.sms_account_sid, business.sms_auth_token = SID, TOKEN
    business.sms_from_number = FROM
    business.save()
    return business


def basic_auth(request) -> tuple[str, str]:
    header = request["headers"]["Authorization"]
    return tuple(base64.b64decode(header.split()[1]).decode().split(":", 1))


def stored_token(business) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sms_auth_token FROM tenants_business WHERE id = %s",
                       [business.pk])
        return cursor.fetchone()[0]


def test_it_saves_the_account_with_the_token_encrypted(owner_client, business):
    response = owner_client.post(PAGE, {"sms_account_sid": SID, "sms_auth_token": TOKEN,
                                        "sms_from_number": "(500) 555-0006"})
    assert response.status_code == 302
    business.refresh_from_db()
    assert (business.sms_account_sid, business.sms_from_number) == (SID, FROM)
    assert business.sms_auth_token == TOKEN
    assert TOKEN not in stored_token(business)


def test_it_never_shows_the_token_back_only_how_it_ends(owner_client, texting):
    page = owner_client.get(PAGE).text
    assert TOKEN not in page
    assert "Saved, ends in …1234" in page
    assert f"Texts go out from <strong>{FROM}</strong>" in page


def test_it_keeps_the_saved_token_when_the_box_is_left_empty(owner_client, texting):
    owner_client.post(PAGE, {"sms_account_sid": SID, "sms_auth_token": "",
                             "sms_from_number": FROM})
    texting.refresh_from_db()
    assert texting.sms_auth_token == TOKEN


def test_it_removes_the_token_when_asked(owner_client, texting):
    owner_client.post(PAGE, {"sms_account_sid": SID, "forget_token": "on",
                             "sms_from_number": FROM})
    texting.refresh_from_db()
    assert texting.sms_auth_token == ""
    assert "Not set up" in owner_client.get(PAGE).text


def test_it_reads_the_sending_number_in_the_business_country(owner_client, business):
    business.country = "GB"
    business.save()
    owner_client.post(PAGE, {"sms_account_sid": SID, "sms_auth_token": TOKEN,
                             "sms_from_number": "07911 123456"})
    business.refresh_from_db()
    assert business.sms_from_number == "+447911123456"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("sms_account_sid", "AC123", "An account SID is AC followed by 32 letters"),
    ("sms_auth_token", "has spaces in it", "An auth token is 32 letters and digits"),
    ("sms_from_number", "12", "Sending number: This is not a valid phone number"),
])
def test_it_names_the_field_with_a_bad_value_and_saves_nothing(owner_client, business, field,
                                                                value, words):
    data = {"sms_account_sid": SID, "sms_auth_token": TOKEN, "sms_from_number": FROM}
    response = owner_client.post(PAGE, {**data, field: value})
    assert response.status_code == 400
    assert words in response.text
    business.refresh_from_db()
    assert (business.sms_account_sid, business.sms_auth_token) == ("", "")


def test_it_logs_a_token_change_without_the_token(owner_client, business):
    owner_client.post(PAGE, {"sms_account_sid": SID, "sms_auth_token": TOKEN,
                             "sms_from_number": FROM})
    entry = AuditEntry.objects.get(action="settings.sms")
    assert entry.changes["sms_auth_token"] == ["", "replaced"]
    assert TOKEN not in str(entry.changes)


def test_it_says_when_the_environment_overrides_a_box(owner_client, texting, settings):
    settings.TWILIO_AUTH_TOKEN = "install-wide-token-0123456789abcd"
    page = owner_client.get(PAGE).text
    assert "Set for the whole install by whoever runs it (TWILIO_AUTH_TOKEN)" in page
    assert 'name="sms_auth_token"' in page and "disabled" in \
        page.split('name="sms_auth_token"')[1].split(">")[0]
    owner_client.post(PAGE, {"sms_account_sid": SID, "sms_auth_token": "ignoredtoken0123456",
                             "sms_from_number": FROM})
    texting.refresh_from_db()
    assert texting.sms_auth_token == TOKEN


def test_it_sends_a_test_text_to_the_owner_mobile(owner_client, owner, texting, fake_twilio):
    response = owner_client.post(TEST, {"mobile": "(212) 555-0123"}, follow=True)
    [request] = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert basic_auth(request) == (SID, TOKEN)
    form = urllib.parse.parse_qs(request["body"].decode())
    assert (form["To"], form["From"]) == (["+12125550123"], [FROM])
    assert form["Body"][0].startswith("Riverside Plumbing: this is your test text")
    assert "Sent. Twilio accepted the text to +12125550123" in response.text
    assert Membership.objects.get(user=owner).mobile == "+12125550123"


def test_it_fills_in_the_mobile_used_last_time(owner_client, owner, texting):
    Membership.objects.filter(user=owner).update(mobile="+12125550123")
    assert 'value="+12125550123"' in owner_client.get(PAGE).text


@pytest.mark.parametrize(("status", "code", "message", "words"), [
    (401, 20003, "Authenticate", "did not accept the account SID and auth token"),
    (400, 21608, "The number is unverified.", "A Twilio trial account can only text numbers"),
    (400, 30000, "Something odd happened.",
     "Twilio refused the text: Something odd happened (Twilio error 30000)."),
])
def test_it_says_in_plain_words_why_twilio_refused(owner_client, texting, fake_twilio, status,
                                                    code, message, words):
    fake_twilio.refuse = (status, code, message)
    response = owner_client.post(TEST, {"mobile": "+12125550123"}, follow=True)
    assert "The test text was not sent." in response.text
    assert words in response.text


def test_it_says_when_twilio_cannot_be_reached(owner_client, texting, settings):
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # the discard port: nothing listens
    response = owner_client.post(TEST, {"mobile": "+12125550123"}, follow=True)
    assert "We could not reach Twilio" in response.text


def test_it_asks_for_the_account_before_a_test_text(owner_client, business, fake_twilio):
    response = owner_client.post(TEST, {"mobile": "+12125550123"}, follow=True)
    assert "Save your account SID, auth token and sending number first." in response.text
    assert fake_twilio.requests == []


def test_it_sends_one_test_text_at_a_time(owner_client, texting, fake_twilio):
    owner_client.post(TEST, {"mobile": "+12125550123"})
    response = owner_client.post(TEST, {"mobile": "+12125550123"}, follow=True)
    assert "A test text went out a moment ago" in response.text
    assert len(fake_twilio.requests) == 1


def test_it_never_sends_a_test_text_on_get(owner_client, texting, fake_twilio):
    assert owner_client.get(TEST).status_code == 405
    assert fake_twilio.requests == []


def test_it_escapes_a_hostile_business_name(owner_client, texting):
    texting.name = "<script>alert(1)</script>\"'&"
    texting.save()
    assert "<script>alert(1)</script>" not in owner_client.get(PAGE).text


def due_text(business, phone="+12125550123"):
    return due_text_for(business, phone=phone, purpose="transactional")


def test_it_sends_a_business_texts_through_its_own_account(texting, fake_twilio):
    row = due_text(texting)
    assert worker.run_once().sent == 1
    [request] = fake_twilio.requests
    assert basic_auth(request) == (SID, TOKEN)
    assert urllib.parse.parse_qs(request["body"].decode())["From"] == [FROM]
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_it_lets_the_environment_override_the_business_account(texting, fake_twilio,
                                                                settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "f" * 32
    settings.TWILIO_AUTH_TOKEN = "install-wide-token-0123456789abcd"
    due_text(texting)
    worker.run_once()
    assert basic_auth(fake_twilio.requests[0]) == ("AC" + "f" * 32,
                                                   "install-wide-token-0123456789abcd")


def test_it_leaves_texts_planned_for_a_business_without_an_account(texting, other_business,
                                                                   fake_twilio):
    waiting = due_text(other_business, phone="+12125550199")
    sent = due_text(texting)
    assert worker.run_once().sent == 1
    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert (sent.status, waiting.status) == (Status.SENT, Status.PLANNED)


def test_it_checks_an_inbound_text_with_the_business_token(client, texting):
    Customer.objects.create(business=texting, name="Ada", phone="+12125550123")
    params = {"From": "+12125550123", "To": FROM, "Body": "STOP", "MessageSid": "SM1",
              "AccountSid": SID}
    url = "http://testserver" + reverse("sms_inbound")
    good = RequestValidator(TOKEN).compute_signature(url, params)
    forged = RequestValidator("someone-elses-token-0123456789ab").compute_signature(url, params)
    assert client.post(reverse("sms_inbound"), params,
                       headers={"X-Twilio-Signature": forged}).status_code == 403
    assert client.post(reverse("sms_inbound"), params,
                       headers={"X-Twilio-Signature": good}).status_code == 200


def test_it_keeps_the_inbound_webhook_off_until_some_business_has_a_token(client, business):
    assert client.post(reverse("sms_inbound"), {"From": "+12125550123"}).status_code == 404
    assert Business.objects.exclude(sms_auth_token="").count() == 0
