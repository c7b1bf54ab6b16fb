import pytest
from django.test import Client

from followthrough.customers.consent import may_contact, unsubscribe_token
from followthrough.customers.models import ConsentEvent, Customer
from followthrough.playbooks import vocabulary as v


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Ada Lovelace", email="ada@example.com")


def url(customer, purpose=v.RELATIONSHIP):
    return f"/u/{unsubscribe_token(customer, purpose)}"


def test_it_shows_a_confirm_button_on_get_without_changing_anything(client, customer):
    response = client.get(url(customer))
    assert response.status_code == 200
    assert b"Stop these emails" in response.content
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
    assert event.source == "unsubscribe link"


def test_it_answers_404_for_a_forged_token(client, customer):
    assert client.post("/u/not-a-real-token").status_code == 404
    assert not ConsentEvent.objects.exists()
