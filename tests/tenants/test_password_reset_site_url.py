"""The password-reset link is built from SITE_URL, never from the request's Host header,
and the email is queued for the worker rather than sent inside the request."""

import re

import pytest
from django.core import mail

from followthrough.channels.mailqueue import deliver_due
from followthrough.channels.models import QueuedMail
from tests.smtp import free_port

SITE = "https://followthrough.example"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    return settings


def ask_for_reset(client, owner, host="testserver"):
    response = client.post("/password/reset/", {"email": owner.email}, HTTP_HOST=host)
    assert response.status_code == 302
    return QueuedMail.objects.get(kind="password_reset")


def test_it_builds_the_link_from_site_url_not_the_host_header(client, owner, site):
    row = ask_for_reset(client, owner, host="evil.example")
    assert re.search(rf"{SITE}/password/reset/\S+/\S+/", row.text_body)
    assert "evil.example" not in row.text_body


def test_it_ignores_the_test_servers_own_host_too(client, owner, site):
    row = ask_for_reset(client, owner)
    assert "testserver" not in row.text_body


def test_it_queues_the_email_instead_of_sending_it_in_the_request(client, owner, site):
    row = ask_for_reset(client, owner)
    assert mail.outbox == []
    assert row.recipients == [owner.email]
    deliver_due()
    assert mail.outbox[0].to == [owner.email]
    assert SITE in mail.outbox[0].body


def test_it_answers_the_page_while_the_mail_server_is_down(client, owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    ask_for_reset(client, owner)


def test_it_delivers_a_link_that_works(client, owner):
    ask_for_reset(client, owner)
    deliver_due()
    path = re.search(r"http://testserver(/password/reset/\S+/\S+/)", mail.outbox[0].body)[1]
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].endswith("/set-password/")
