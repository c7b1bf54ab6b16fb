"""'Send me a test' in the Outbox: the message again, to my own address, marked as a test."""

import pytest

from followthrough.channels import mailqueue
from followthrough.channels.models import OutboxMessage, QueuedMail
from followthrough.channels.transports import OutgoingEmail, build_email


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "followthrough.channels.outbox.OutboxEmailBackend"
    settings.OUTBOX_ENABLED = True


@pytest.fixture
def sent(business, outbox):
    build_email(OutgoingEmail(
        to="jamie@customer.example", subject="Thank you, Jamie", text="Hi Jamie",
        html="<p>Hi Jamie</p>", from_email=business.from_email, message_id="<1@riverside.example>",
        business_slug=business.slug)).send()
    return OutboxMessage.objects.get()


def test_it_queues_the_message_for_me_marked_as_a_test(owner_client, owner, sent):
    response = owner_client.post(f"/outbox/{sent.public_id}/test/")
    assert response.status_code == 302
    row = QueuedMail.objects.get()
    assert (row.to, row.subject, row.kind) == (owner.email, "[Test] Thank you, Jamie", "test")
    assert row.html_body == sent.html_body
    mailqueue.deliver_due()
    test = OutboxMessage.objects.get(subject="[Test] Thank you, Jamie")
    assert test.headers["X-Followthrough-Test"] == "yes"
    assert test.business_slug == sent.business_slug  # it shows in the same Outbox


def test_it_does_not_stack_test_prefixes(owner_client, sent):
    owner_client.post(f"/outbox/{sent.public_id}/test/")
    mailqueue.deliver_due()
    test = OutboxMessage.objects.get(subject__startswith="[Test]")
    owner_client.post(f"/outbox/{test.public_id}/test/")
    assert QueuedMail.objects.filter(subject="[Test] Thank you, Jamie").count() == 2


def test_it_offers_the_button_on_the_message_page(owner_client, sent):
    text = owner_client.get(f"/outbox/{sent.public_id}/").text
    assert f'action="/outbox/{sent.public_id}/test/"' in text and "Send me a test" in text


def test_it_refuses_a_get(owner_client, sent):
    assert owner_client.get(f"/outbox/{sent.public_id}/test/").status_code == 405
    assert not QueuedMail.objects.exists()


def test_it_gives_another_business_a_404(client, outsider, sent):
    client.force_login(outsider)
    assert client.post(f"/outbox/{sent.public_id}/test/").status_code == 404
    assert not QueuedMail.objects.exists()
