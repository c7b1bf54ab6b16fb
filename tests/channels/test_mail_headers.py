"""Headers over real SMTP: List-Id on relationship and marketing mail only, and a
Message-ID on the business's domain for every email, owner and system mail included."""

import pytest

from followthrough.channels import mailqueue
from followthrough.channels.layout import FALLBACK_DOMAIN
from followthrough.channels.transports import EmailTransport, OutgoingEmail, message_id_for
from tests.smtp import running_sink

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


def outgoing(business, **extra):
    values = dict(
        to="jamie@customer.example", subject="Thanks", text="Hi Jamie", html="<p>Hi Jamie</p>",
        from_email=business.from_email, business_slug=business.slug,
        message_id=message_id_for("job:step:0", business.from_email),
    )
    return OutgoingEmail(**values | extra)


def send(*messages):
    with EmailTransport() as transport:
        for message in messages:
            transport.send(message)


def test_it_puts_a_list_id_on_relationship_mail(business, sink):
    send(outgoing(business, unsubscribe_url="http://testserver/u/abc",
                  postal_address="12 Mill Lane"))
    [message] = sink.messages
    assert message["List-Id"] == '"Riverside Plumbing" <riverside-plumbing.riverside.example>'
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_it_leaves_the_list_id_off_transactional_mail(business, sink):
    send(outgoing(business))
    [message] = sink.messages
    assert message["List-Id"] is None and message["List-Unsubscribe"] is None


def test_it_encodes_a_business_name_outside_ascii_in_the_list_id(business, sink):
    business.name = 'Café "Zoë" Ünal'
    business.save()
    send(outgoing(business, unsubscribe_url="http://testserver/u/abc"))
    [message] = sink.messages
    assert message["List-Id"].endswith(" <riverside-plumbing.riverside.example>")
    assert "=?utf-8?" in message["List-Id"]


def test_it_gives_worker_mail_of_a_business_without_a_sender_no_localhost_id(business,
                                                                            settings, sink):
    settings.DEFAULT_FROM_EMAIL = "followthrough@localhost"
    business.sender_email = ""
    business.save()
    send(outgoing(business, message_id=message_id_for("job:step:0", business.from_email)))
    [message] = sink.messages
    assert "localhost" not in message["Message-ID"]
    assert message["Message-ID"].endswith(f"@{FALLBACK_DOMAIN}>")


def test_it_gives_an_owner_alert_a_message_id_on_the_business_domain(business, sink):
    mailqueue.queue_mail("Jamie is unhappy", "Call them today.", ["owner@riverside.example"],
                         kind="incident_alert", business=business)
    mailqueue.deliver_due()
    [message] = sink.messages
    assert message["Message-ID"].endswith("@riverside.example>")
    assert message["X-Followthrough-Business"] == business.slug
    assert message["List-Id"] is None


def test_it_uses_the_website_domain_when_the_business_has_no_sender_address(business, sink):
    business.sender_email, business.website = "", "https://www.riverside-plumbing.example/"
    business.save()
    mailqueue.queue_mail("Jamie is unhappy", "Call them today.", ["owner@riverside.example"],
                         kind="incident_alert", business=business)
    mailqueue.deliver_due()
    assert sink.messages[0]["Message-ID"].endswith("@www.riverside-plumbing.example>")


def test_it_gives_system_mail_the_install_domain_never_localhost(db, settings, sink):
    settings.DEFAULT_FROM_EMAIL = "followthrough@localhost"
    settings.SITE_URL = "https://follow.example.org"
    mailqueue.queue_mail("Your reset link", "Open it", ["owner@riverside.example"],
                         kind="password_reset")
    mailqueue.deliver_due()
    [message] = sink.messages
    assert message["Message-ID"].endswith("@follow.example.org>")
    assert message["X-Followthrough-Business"] is None


def test_it_keeps_the_queued_message_id_across_a_retry(business, sink):
    row = mailqueue.queue_mail("Hello", "Hi", ["a@riverside.example"], kind="invitation",
                               business=business)
    sink.answer("451 4.3.0 Try again later")
    mailqueue.deliver_due()
    row.refresh_from_db()
    mailqueue.deliver_due(row.next_attempt_at)
    assert sink.messages[0]["Message-ID"] == row.headers["Message-ID"]


def test_it_sends_queued_mail_with_the_layout_and_a_text_twin(business, sink):
    mailqueue.queue_mail("Jamie is unhappy", "Call <Jamie> today.", ["owner@riverside.example"],
                         kind="incident_alert", business=business)
    mailqueue.deliver_due()
    text, html = [part.get_payload(decode=True).decode() for part in
                  sink.messages[0].get_payload()]
    assert "Call <Jamie> today." in text
    assert "Call &lt;Jamie&gt; today." in html and "<Jamie>" not in html
    assert "max-width: 600px" in html
