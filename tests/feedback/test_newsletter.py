import re

from django.core import mail

from followthrough import vocabulary as v
from followthrough.channels.mailqueue import deliver_due
from followthrough.customers.consent import may_contact
from followthrough.customers.models import ConsentEvent
from tests.feedback.conftest import make_touch


def confirm_link(customer):
    deliver_due()  # the confirmation leaves through the mail queue
    return re.search(r"http://testserver(/n/confirm/\S+)", mail.outbox[-1].body)[1]


def test_it_emails_a_confirmation_link_and_records_nothing_yet(client, engagement):
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    assert client.get(f"/n/{touch.link_token}").status_code == 200
    client.post(f"/n/{touch.link_token}")
    deliver_due()
    assert mail.outbox[-1].to == [engagement.customer.email]
    assert not ConsentEvent.objects.exists()


def test_it_records_marketing_consent_with_proof_on_confirmation(client, engagement):
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    client.post(f"/n/{touch.link_token}")
    link = confirm_link(engagement.customer)
    client.get(link)
    assert not ConsentEvent.objects.exists()  # a scanner's GET confirms nothing
    client.post(link, REMOTE_ADDR="203.0.113.9")
    event = ConsentEvent.objects.get()
    assert (event.purpose, event.granted) == (v.MARKETING, True)
    assert "203.0.113.9" in event.proof
    assert may_contact(engagement.customer, "email", v.MARKETING)


def test_it_exports_confirmed_subscribers_as_csv(client, owner_client, engagement):
    touch = make_touch(engagement, element=v.SUBSCRIBE_INVITE)
    client.post(f"/n/{touch.link_token}")
    client.post(confirm_link(engagement.customer))
    owner_client.force_login(engagement.business.memberships.get().user)
    body = owner_client.get("/feedback/subscribers.csv").content.decode()
    assert body.splitlines() == ["name,email", "Jamie O'Brien,jamie@customer.example"]


def test_it_refuses_a_forged_confirmation_link(client, db):
    assert client.post("/n/confirm/forged").status_code == 404
