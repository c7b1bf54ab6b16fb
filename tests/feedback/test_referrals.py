from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.feedback import referrals
from followthrough.touchpoints.models import Touchpoint


def test_it_makes_a_readable_code_once(customer):
    code = referrals.ensure_code(customer)
    assert len(code) == referrals.CODE_LENGTH and set(code) <= set(referrals.ALPHABET)
    assert referrals.ensure_code(customer) == code
    assert Customer.objects.get(pk=customer.pk).referral_code == code


def test_it_attributes_a_new_customer_from_the_landing_page(client, customer, engagement):
    code = referrals.ensure_code(customer)
    response = client.post(f"/ref/{code.lower()}", {"name": "Pat Lee",
                                                    "email": "pat@example.com"})
    assert response.status_code == 200
    friend = Customer.objects.get(name="Pat Lee")
    assert friend.referred_by == customer
    assert customer.referrals.count() == 1


def test_it_plans_a_thank_you_card_for_the_referrer(client, customer, engagement):
    code = referrals.ensure_code(customer)
    client.post(f"/ref/{code}", {"name": "Pat Lee", "phone": "+15185550123"})
    card = Touchpoint.objects.get(channel=kinds.CARD)
    assert card.customer == customer and "Pat Lee" in card.rendered_body


def test_it_asks_for_a_way_to_reach_the_friend(client, customer):
    code = referrals.ensure_code(customer)
    response = client.post(f"/ref/{code}", {"name": "Pat Lee"})
    assert response.status_code == 400
    assert b"Leave an email or a phone number" in response.content
    assert not Customer.objects.filter(name="Pat Lee").exists()


def test_it_shows_a_kind_page_for_an_unknown_code(client, db):
    assert client.get("/ref/NOSUCH23").status_code == 404


def test_it_never_credits_a_customer_of_another_business(customer, other_business):
    stranger = Customer.objects.create(business=other_business, name="Lee")
    referrals.attribute(stranger, customer)
    stranger.refresh_from_db()
    assert stranger.referred_by is None
