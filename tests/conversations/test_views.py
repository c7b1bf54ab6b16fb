"""The conversation on the customer page, the reply form and the Unmatched page, each
with an outsider from another business."""

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough.conversations import services
from followthrough.conversations.matching import Match
from followthrough.conversations.models import Message
from followthrough.customers.models import Customer
from followthrough.touchpoints.models import Touchpoint


def inbound(business, customer=None, body="Can you come Friday?", sender="+12125550123"):
    return services.receive(services.Incoming(
        channel="sms", sender=sender, body=body, received_at=timezone.now()),
        Match(business, customer))[0]


def page(client, customer):
    return client.get(reverse("customer_detail", args=[customer.public_id]))


def test_it_shows_the_conversation_on_the_customer_page(owner_client, ada, job):
    inbound(ada.business, ada)

    response = page(owner_client, ada)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="conversation"' in html and "Can you come Friday?" in html
    assert reverse("customer_reply", args=[ada.public_id]) in html


def test_it_escapes_hostile_text_in_the_timeline(owner_client, ada, job):
    inbound(ada.business, ada, body='<script>alert(1)</script><img src=x onerror=alert(2)>')

    html = page(owner_client, ada).content.decode()

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_queues_a_reply_from_the_customer_page(owner_client, ada, job):
    answering = inbound(ada.business, ada)

    response = owner_client.post(reverse("customer_reply", args=[ada.public_id]), {
        "channel": "sms", "body": "Friday at 9 works.", "answering": answering.public_id})

    assert response.status_code == 302 and response.url.endswith("#conversation")
    reply = Message.objects.get(direction=Message.OUT)
    assert reply.touchpoint.status == "planned" and reply.touchpoint.origin == "manual"
    assert reply.touchpoint.purpose == "transactional"


def test_it_names_the_missing_field_and_saves_nothing(owner_client, ada, job):
    response = owner_client.post(reverse("customer_reply", args=[ada.public_id]),
                                 {"channel": "sms", "body": ""}, follow=True)

    assert "Your reply" in response.content.decode()
    assert not Message.objects.exists() and not Touchpoint.objects.exists()


def test_it_hides_the_reply_route_from_an_outsider(outsider_client, ada, job):
    response = outsider_client.post(reverse("customer_reply", args=[ada.public_id]),
                                    {"channel": "sms", "body": "Hi"})
    assert response.status_code == 404 and not Touchpoint.objects.exists()


def test_it_refuses_to_answer_another_customers_message(owner_client, ada, job, business):
    other = Customer.objects.create(business=business, name="Bo", phone="+12125550124")
    theirs = inbound(business, other)

    response = owner_client.post(reverse("customer_reply", args=[ada.public_id]), {
        "channel": "sms", "body": "Hi", "answering": theirs.public_id})

    assert response.status_code == 404


def test_it_lists_unmatched_messages(owner_client, business):
    inbound(business, body="Who is this? <b>bold</b>", sender="+12125550199")

    response = owner_client.get(reverse("unmatched"))

    html = response.content.decode()
    assert response.status_code == 200 and "+12125550199" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_it_attaches_an_unmatched_message_to_a_customer(owner_client, ada, job):
    message = inbound(ada.business, sender="+12125550199")

    response = owner_client.post(reverse("unmatched_attach"),
                                 {"message": message.public_id, "customer": "ada@example.com"})

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.customer == ada and message.matched_by == Message.BY_HAND


@pytest.mark.parametrize(("typed", "error"), [("nobody@example.com", "No customer matches"),
                                              ("a", "Several customers match")])
def test_it_says_why_it_cannot_attach(owner_client, ada, business, typed, error):
    Customer.objects.create(business=business, name="Anna", email="anna@example.com")
    message = inbound(business, sender="+12125550199")

    response = owner_client.post(reverse("unmatched_attach"),
                                 {"message": message.public_id, "customer": typed}, follow=True)

    assert error in response.content.decode()
    message.refresh_from_db()
    assert message.customer is None


def test_it_hides_unmatched_messages_from_an_outsider(outsider_client, ada):
    message = inbound(ada.business, sender="+12125550199")

    listing = outsider_client.get(reverse("unmatched")).content.decode()
    response = outsider_client.post(reverse("unmatched_attach"),
                                    {"message": message.public_id, "customer": "Ada"})

    assert "+12125550199" not in listing and response.status_code == 404
    message.refresh_from_db()
    assert message.customer is None


def test_it_does_not_change_anything_on_get(owner_client, ada):
    assert owner_client.get(reverse("unmatched_attach")).status_code == 405
    assert owner_client.get(reverse("customer_reply", args=[ada.public_id])).status_code == 405
