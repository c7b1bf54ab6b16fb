"""Team invitations leave through the mail queue: the team page answers even when the
mail server is down, and the worker delivers the invitation once it is back."""

import re

from followthrough.channels.mailqueue import deliver_due
from followthrough.channels.models import QueuedMail
from followthrough.tenants.models import Invitation
from tests.smtp import free_port, running_sink


def test_it_records_and_queues_an_invitation_while_the_server_is_down(owner_client,
                                                                       business, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    response = owner_client.post("/settings/members/", {"email": "alex@example.com",
                                                        "role": "staff"})
    assert response.status_code == 302
    assert Invitation.objects.filter(business=business, email="alex@example.com").exists()
    row = QueuedMail.objects.get(kind="invitation")
    assert deliver_due()["retry"] == 1
    row.refresh_from_db()
    assert row.status == QueuedMail.QUEUED


def test_it_delivers_the_invitation_on_a_later_pass(owner_client, settings):
    owner_client.post("/settings/members/", {"email": "alex@example.com", "role": "staff"})
    with running_sink(settings) as sink:
        deliver_due()
    [message] = sink.messages
    assert message["To"] == "alex@example.com"
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert re.search(r"http://testserver/invite/\S+/", text)


def test_it_queues_nothing_when_the_invitation_is_refused(owner_client, staff):
    owner_client.post("/settings/members/", {"email": staff.email, "role": "staff"})
    assert not QueuedMail.objects.exists()
