"""The mailbox settings page: an owner sets it up, tests it and removes it; staff and
outsiders cannot; the password never comes back to the page."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from followthrough.conversations.models import Mailbox
from followthrough.tenants.models import AuditEntry
from tests.conversations.dovecot import PASSWORD, USER
from tests.smtp import free_port

URL = "/settings/mailbox/"
HOSTILE = "<script>alert(1)</script>\"'&"


@pytest.fixture(autouse=True)
def no_recent_test():
    cache.clear()


def form(**changes):
    data = {"action": "save", "host": "imap.example.com", "port": "993", "security": "ssl",
            "username": "replies@riverside.example", "password": "hunter2-app-pass",
            "folder": "INBOX", "enabled": "on"}
    return {**data, **changes}


def test_it_saves_the_mailbox_with_the_password_encrypted(owner_client, business):
    response = owner_client.post(URL, form())

    assert response.status_code == 302
    box = Mailbox.objects.get(business=business)
    assert box.host == "imap.example.com" and box.password == "hunter2-app-pass"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM conversations_mailbox")
        stored = cursor.fetchone()[0]
    assert stored and "hunter2-app-pass" not in stored
    assert AuditEntry.objects.filter(business=business, action="mailbox.change").exists()
    assert "hunter2-app-pass" not in owner_client.get(URL).content.decode()


def test_it_keeps_the_saved_password_when_the_field_is_left_empty(owner_client, business):
    owner_client.post(URL, form())
    before = Mailbox.objects.get().password

    owner_client.post(URL, form(password="", folder="Replies"))

    box = Mailbox.objects.get()
    assert box.folder == "Replies" and box.password == before == "hunter2-app-pass"


@pytest.mark.parametrize(("changes", "error"), [
    ({"password": ""}, "Password: Type the mailbox"),
    ({"host": "imap.example.com/evil"}, "Type the server"),
    ({"port": "70000"}, "A port is a number from 1 to 65535"),
    ({"security": "plain"}, "in the clear"),
])
def test_it_names_the_field_and_saves_nothing(owner_client, changes, error):
    response = owner_client.post(URL, form(**changes))

    assert response.status_code == 400 and error in response.content.decode()
    assert not Mailbox.objects.exists()


def test_it_says_what_the_test_found(owner_client, business, dovecot):
    owner_client.post(URL, form(host="127.0.0.1", port=str(dovecot.port), security="plain",
                                username=USER, password=PASSWORD))

    page = owner_client.post(URL, {"action": "test"}, follow=True).content.decode()

    assert "Signed in to INBOX; no unread messages waiting." in page


def test_it_pauses_between_connection_tests(owner_client, business, dovecot):
    owner_client.post(URL, form(host="127.0.0.1", port=str(dovecot.port), security="plain",
                                username=USER, password=PASSWORD))
    owner_client.post(URL, {"action": "test"})

    page = owner_client.post(URL, {"action": "test"}, follow=True).content.decode()

    assert "tried a moment ago" in page


def test_it_says_when_the_server_refuses_the_password(owner_client, business, dovecot):
    owner_client.post(URL, form(host="127.0.0.1", port=str(dovecot.port), security="plain",
                                username=USER, password="wrong"))

    page = owner_client.post(URL, {"action": "test"}, follow=True).content.decode()

    assert "The server refused the user name or password." in page


def test_it_shows_why_the_worker_cannot_reach_it(owner_client, business):
    owner_client.post(URL, form(host="127.0.0.1", port=str(free_port()), security="plain"))
    from followthrough.conversations.mailbox import poll_due

    poll_due()

    page = owner_client.get(URL).content.decode()
    assert "Can't reach it" in page and "refused the connection" in page


def test_it_escapes_what_the_owner_typed(owner_client, business):
    Mailbox.objects.create(business=business, host="imap.example.com", username=HOSTILE,
                           folder=HOSTILE, last_problem=HOSTILE, enabled=False)

    page = owner_client.get(URL).content.decode()

    assert HOSTILE not in page and "&lt;script&gt;" in page


def test_it_removes_the_mailbox(owner_client, business):
    owner_client.post(URL, form())

    owner_client.post(URL, {"action": "remove"})

    assert not Mailbox.objects.exists()


def test_it_is_for_owners_only(client, staff, business):
    client.force_login(staff)

    assert client.post(URL, form()).status_code in (403, 404)
    assert not Mailbox.objects.exists()


def test_it_never_shows_another_business_mailbox(outsider_client, business):
    Mailbox.objects.create(business=business, host="imap.riverside.example",
                           username="secret-user")

    page = outsider_client.get(URL).content.decode()

    assert "secret-user" not in page and "imap.riverside.example" not in page


def test_it_shows_a_failing_mailbox_on_the_integrations_page(owner_client, business):
    Mailbox.objects.create(business=business, host="imap.example.com", username="replies",
                           last_error="Timed out.", last_error_at=timezone.now())

    page = owner_client.get("/settings/integrations/").content.decode()

    assert "Reading <strong>replies</strong>" in page and "can't reach it" in page
