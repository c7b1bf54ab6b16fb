"""The demo outbox: the mail that would have gone out, as the customer would see it."""

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings

from followthrough.channels.models import OutboxMessage
from followthrough.channels.outbox import BUSINESS_HEADER, OutboxEmailBackend


def send(slug, subject="Thanks, Jamie!", html="<p>Thank <b>you</b></p>"):
    message = EmailMultiAlternatives(
        subject, "Thank you, plain text.", "Sam <sam@riverside.example>",
        ["jamie@example.com"], headers={BUSINESS_HEADER: slug},
    )
    if html:
        message.attach_alternative(html, "text/html")
    OutboxEmailBackend().send_messages([message])
    return OutboxMessage.objects.latest("id")


@pytest.fixture
def message(business):
    return send(business.slug)


def test_it_lists_the_business_outbox(owner_client, message):
    response = owner_client.get("/outbox/")
    assert response.status_code == 200
    assert "Thanks, Jamie!" in response.text
    assert "Demo mode" in response.text


def test_it_leaves_out_other_businesses_mail(owner_client, message, other_business):
    send(other_business.slug, subject="Danke!")
    assert "Danke!" not in owner_client.get("/outbox/").text


def test_it_lists_the_newest_first(owner_client, business, message):
    send(business.slug, subject="Second message")
    text = owner_client.get("/outbox/").text
    assert text.index("Second message") < text.index("Thanks, Jamie!")


def test_it_shows_a_message_as_the_customer_sees_it(owner_client, message):
    response = owner_client.get(f"/outbox/{message.public_id}/")
    assert response.status_code == 200
    assert 'sandbox=""' in response.text
    assert f'src="/outbox/{message.public_id}/html/"' in response.text
    assert "jamie@example.com" in response.text
    assert "<details>" in response.text


def test_it_serves_the_email_html_with_a_csp_that_allows_no_script(owner_client, message):
    response = owner_client.get(f"/outbox/{message.public_id}/html/")
    assert response.status_code == 200
    assert response.text == "<p>Thank <b>you</b></p>"
    policy = response["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "sandbox" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_it_shows_the_text_body_when_there_is_no_html(owner_client, business):
    plain = send(business.slug, html="")
    response = owner_client.get(f"/outbox/{plain.public_id}/")
    assert "<pre>Thank you, plain text.</pre>" in response.text
    assert "<iframe" not in response.text


def test_it_keeps_row_numbers_out_of_urls(owner_client, message):
    assert f"/outbox/{message.pk}/" not in owner_client.get("/outbox/").text
    assert owner_client.get(f"/outbox/{message.pk}/").status_code == 404


def test_it_answers_404_for_an_unknown_message_id(owner_client, message):
    assert owner_client.get(f"/outbox/{message.public_id}x/").status_code == 404


def test_it_is_not_found_when_the_outbox_is_off(owner_client, message):
    with override_settings(OUTBOX_ENABLED=False):
        assert owner_client.get("/outbox/").status_code == 404
        assert owner_client.get(f"/outbox/{message.public_id}/").status_code == 404


def test_it_hides_the_nav_link_when_the_outbox_is_off(owner_client):
    with override_settings(OUTBOX_ENABLED=False):
        assert 'href="/outbox/"' not in owner_client.get("/today/").text
