import pytest
from django.core import mail

from followthrough.channels.models import OutboxMessage
from followthrough.channels.outbox import OutboxEmailBackend
from followthrough.channels.transports import OutgoingEmail, build_email

pytestmark = pytest.mark.django_db

OUTGOING = OutgoingEmail(
    to="Jamie <jamie@customer.example>", subject="Thanks, Jamie!", text="Hi Jamie",
    html="<p>Hi Jamie</p>", from_email="Sam <sam@riverside.example>",
    message_id="<abc@riverside.example>", business_slug="riverside-plumbing",
    unsubscribe_url="http://testserver/u/token", postal_address="12 Mill Lane",
)


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "followthrough.channels.outbox.OutboxEmailBackend"


def test_it_stores_a_message_instead_of_sending_it(outbox):
    assert build_email(OUTGOING).send() == 1
    row = OutboxMessage.objects.get()
    assert (row.subject, row.to, row.from_email) == (
        "Thanks, Jamie!", "Jamie <jamie@customer.example>", "Sam <sam@riverside.example>"
    )


def test_it_keeps_the_business_slug_and_message_id(outbox):
    build_email(OUTGOING).send()
    row = OutboxMessage.objects.get()
    assert (row.business_slug, row.message_id) == ("riverside-plumbing", "<abc@riverside.example>")


def test_it_keeps_the_text_the_html_alternative_and_the_headers(outbox):
    build_email(OUTGOING).send()
    row = OutboxMessage.objects.get()
    assert row.text_body.startswith("Hi Jamie")
    assert ">Hi Jamie</p>" in row.html_body
    assert row.headers["List-Unsubscribe"].startswith("<http://testserver/u/token>, <mailto:")


def test_it_keeps_the_raw_rfc822_message(outbox):
    build_email(OUTGOING).send()
    raw = OutboxMessage.objects.get().raw
    assert "Message-ID: <abc@riverside.example>" in raw
    assert "multipart/alternative" in raw


def test_it_returns_how_many_it_stored(outbox):
    messages = [mail.EmailMessage("One", "body", to=["a@example.com"]),
                mail.EmailMessage("Two", "body", to=["b@example.com"]),
                mail.EmailMessage("No one", "body", to=[])]
    assert OutboxEmailBackend().send_messages(messages) == 2
    assert OutboxMessage.objects.count() == 2


def test_it_works_through_send_mail(outbox):
    assert mail.send_mail("Hello", "body", "x@example.com", ["y@example.com"]) == 1
    assert OutboxMessage.objects.get().subject == "Hello"
