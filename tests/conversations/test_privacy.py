"""A customer's conversation is their personal data: it is in their export and an
erasure clears it (privacy/services.py finds Message through its customer)."""

from django.utils import timezone

from followthrough.conversations import services
from followthrough.conversations.matching import Match
from followthrough.conversations.models import Message
from followthrough.privacy.services import erase_customer, export_customer


def wrote(ada):
    return services.receive(services.Incoming(
        channel="email", sender="ada@example.com",
        body="Still leaking. My flat is 4B, call 555-0199",
        subject="Re: Ada's sink", message_id="<m1@example.com>", in_reply_to="<x@y>",
        references="<x@y>", recipients=["sam@riverside.example"],
        received_at=timezone.now()), Match(ada.business, ada))[0]


def test_it_exports_the_conversation(ada, job):
    message = wrote(ada)

    records = export_customer(ada)["records"]["conversations_message"]

    assert records[0]["public_id"] == message.public_id
    assert records[0]["body"] == "Still leaking. My flat is 4B, call 555-0199"


def test_it_clears_the_conversation_on_erasure(owner, ada, job):
    message = wrote(ada)

    erase_customer(owner, ada)

    message = Message.objects.get(pk=message.pk)
    assert (message.body, message.subject, message.from_address, message.recipient) == \
        ("", "", "", "")
    assert message.complaint_reason == ""
    assert (message.message_id, message.in_reply_to, message.references) == ("", "", "")
