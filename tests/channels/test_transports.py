"""The email transport against a real SMTP server (aiosmtpd on 127.0.0.1)."""

import smtplib

import pytest

from followthrough.channels.transports import (
    SMTP_BACKEND,
    TRANSPORTS,
    EmailTransport,
    OutgoingEmail,
    TransportError,
    build_email,
    classify,
    message_id_for,
    prepared,
    transport_for,
)
from tests.smtp import running_sink


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


def outgoing(n=1, **fields):
    values = dict(
        to=f"Jamie <jamie{n}@customer.example>", subject="Thanks!", text="Hi Jamie",
        html="<p>Hi Jamie</p>", from_email="Sam <sam@riverside.example>",
        message_id=message_id_for(f"key-{n}", "sam@riverside.example"),
        business_slug="riverside-plumbing",
    )
    return OutgoingEmail(**(values | fields))


def test_it_sends_text_with_an_html_alternative(sink):
    with EmailTransport() as transport:
        transport.send(outgoing())
    [message] = sink.messages
    assert [part.get_content_type() for part in message.get_payload()] == [
        "text/plain", "text/html"
    ]


def test_it_sets_the_message_id_reply_to_and_business_headers(sink):
    with EmailTransport() as transport:
        transport.send(outgoing(reply_to="office@riverside.example"))
    [message] = sink.messages
    assert message["Message-ID"] == message_id_for("key-1", "sam@riverside.example")
    assert message["Reply-To"] == "office@riverside.example"
    assert message["X-Followthrough-Business"] == "riverside-plumbing"


def test_it_adds_rfc8058_headers_and_a_footer_with_an_unsubscribe_url(sink):
    with EmailTransport() as transport:
        transport.send(outgoing(unsubscribe_url="http://testserver/u/t", postal_address="1 Way"))
    [message] = sink.messages
    # A long header may be folded onto two lines on the wire; unfold before comparing.
    assert " ".join(message["List-Unsubscribe"].split()) == (
        "<http://testserver/u/t>, <mailto:sam@riverside.example?subject=unsubscribe%20t>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_payload()[0].get_payload(decode=True).decode().replace("\r\n", "\n")
    assert text.endswith("-- \n1 Way\nUnsubscribe: http://testserver/u/t\n")


def test_it_leaves_out_unsubscribe_headers_without_an_unsubscribe_url(sink):
    with EmailTransport() as transport:
        transport.send(outgoing())
    assert sink.messages[0]["List-Unsubscribe"] is None


def test_it_reuses_one_connection_for_many_messages(sink):
    with EmailTransport() as transport:
        for n in range(5):
            transport.send(outgoing(n))
    assert len(sink.messages) == 5
    assert len(sink.peers()) == 1


def test_it_raises_a_transient_error_for_4xx(sink):
    sink.answer("451 4.3.0 Try again later")
    with EmailTransport() as transport, pytest.raises(TransportError) as error:
        transport.send(outgoing())
    assert not error.value.permanent
    assert "451" in error.value.message


def test_it_raises_a_permanent_error_for_5xx(sink):
    sink.answer("554 5.7.1 Rejected")
    with EmailTransport() as transport, pytest.raises(TransportError) as error:
        transport.send(outgoing())
    assert error.value.permanent


def test_it_keeps_the_connection_after_a_permanent_error(sink):
    sink.answer("550 5.1.1 No such user")
    with EmailTransport() as transport:
        with pytest.raises(TransportError):
            transport.send(outgoing(1))
        transport.send(outgoing(2))
    assert len(sink.peers()) == 1


def test_it_raises_a_transient_error_when_the_server_is_down(sink):
    sink.stop()
    with EmailTransport() as transport, pytest.raises(TransportError) as error:
        transport.send(outgoing())
    assert not error.value.permanent


def test_it_reconnects_after_the_server_comes_back(sink):
    with EmailTransport() as transport:
        transport.send(outgoing(1))
        sink.stop()
        with pytest.raises(TransportError):
            transport.send(outgoing(2))
        sink.start()
        transport.send(outgoing(3))
    assert len(sink.messages) == 2


def test_it_classifies_refused_recipients_by_code():
    refused = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")})
    greylisted = smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"Try later")})
    assert classify(refused).permanent
    assert not classify(greylisted).permanent


def test_it_classifies_a_dropped_connection_as_transient():
    assert not classify(smtplib.SMTPServerDisconnected("gone")).permanent
    assert not classify(ConnectionRefusedError()).permanent
    assert not classify(TimeoutError()).permanent


def test_it_treats_a_bad_login_as_transient_so_a_config_fix_can_rescue_the_queue():
    assert not classify(smtplib.SMTPAuthenticationError(535, b"Bad credentials")).permanent


def test_it_derives_the_message_id_from_the_key_and_the_sender_domain():
    first = message_id_for("e1:s1:0", "Sam <sam@riverside.example>")
    assert first == message_id_for("e1:s1:0", "Sam <sam@riverside.example>")
    assert first != message_id_for("e1:s1:1", "Sam <sam@riverside.example>")
    assert first.endswith("@riverside.example>") and len(first) == len("<@riverside.example>") + 32


def test_it_has_a_registry_with_email_and_sms():
    # SMS (Twilio) is tested in tests/integrations/test_sms.py.
    assert isinstance(transport_for("email"), EmailTransport)
    assert "sms" in TRANSPORTS
    with pytest.raises(TransportError):
        transport_for("fax")


def test_it_wraps_the_html_alternative_in_a_readable_document():
    html, mimetype = build_email(outgoing()).alternatives[0]
    assert mimetype == "text/html"
    assert html.lower().startswith("<!doctype html>")
    assert "font-family" in html


def test_it_renders_a_prepared_email_for_smtp_once(settings):
    settings.EMAIL_BACKEND = SMTP_BACKEND
    mime = prepared(outgoing()).built.message()
    assert mime.as_bytes(linesep="\r\n") is mime.as_bytes(linesep="\r\n")
    assert b"\r\n" not in mime.as_bytes()  # other line ends are still rendered as asked


def test_it_leaves_a_prepared_email_unrendered_for_other_backends(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mime = prepared(outgoing()).built.message()
    assert mime.as_bytes(linesep="\r\n") is not mime.as_bytes(linesep="\r\n")
