import pytest
from django.test import Client

from followthrough import vocabulary as v
from followthrough.channels.transports import OutgoingEmail, build_email
from followthrough.customers.consent import may_contact, unsubscribe_token
from followthrough.customers.models import ConsentEvent, Customer, Suppression


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Ada Lovelace", email="ada@example.com",
                                   phone="+15185550100")


def url(customer, purpose=v.RELATIONSHIP):
    return f"/u/{unsubscribe_token(customer, purpose)}"


def test_it_shows_the_preferences_on_get_without_changing_anything(client, customer):
    response = client.get(url(customer), HTTP_USER_AGENT="Proofpoint URL Defense")
    assert response.status_code == 200
    assert b"Stop these emails" in response.content and b"Everything" in response.content
    assert not ConsentEvent.objects.exists()


def test_it_unsubscribes_on_a_one_click_post_without_cookies_or_csrf(customer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(url(customer), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not may_contact(customer, "email", v.RELATIONSHIP)


def test_it_withdraws_marketing_along_with_relationship_mail(client, customer):
    client.post(url(customer))
    event = ConsentEvent.objects.get(purpose=v.MARKETING)
    assert event.granted is False
    assert event.source == "one-click unsubscribe"


def test_it_records_the_ip_as_proof(client, customer):
    client.post(url(customer), REMOTE_ADDR="198.51.100.7")
    assert all("198.51.100.7" in e.proof for e in ConsentEvent.objects.all())


def test_it_stops_only_offers_when_the_customer_chooses_that(client, customer):
    client.post(url(customer), {"choice": "marketing"})
    assert may_contact(customer, "email", v.RELATIONSHIP)
    assert not may_contact(customer, "email", v.MARKETING)


def test_it_stops_everything_and_suppresses_the_addresses(client, customer):
    response = client.post(url(customer), {"choice": "everything"})
    assert b"any more emails or texts" in response.content
    assert not may_contact(customer, "sms", v.RELATIONSHIP)
    assert set(Suppression.objects.values_list("channel", flat=True)) == {"email", "sms"}


def test_it_refuses_an_unknown_choice(client, customer):
    assert client.post(url(customer), {"choice": "some"}).status_code == 400
    assert not ConsentEvent.objects.exists()


def test_it_answers_404_for_a_forged_token(client, customer):
    assert client.post("/u/not-a-real-token").status_code == 404
    assert not ConsentEvent.objects.exists()


def test_it_offers_a_mailto_alongside_the_https_url():
    message = build_email(OutgoingEmail(
        to="ada@example.com", subject="Hi", text="Hi", html="<p>Hi</p>",
        from_email="Sam <sam@riverside.example>", message_id="<1@riverside.example>",
        unsubscribe_url="http://testserver/u/abc:def",
    ))
    assert message.extra_headers["List-Unsubscribe"] == (
        "<http://testserver/u/abc:def>, "
        "<mailto:sam@riverside.example?subject=unsubscribe%20abc%3Adef>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
