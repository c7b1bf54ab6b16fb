"""The public referral page takes details from anyone holding the link, and the link is
meant to be shared. Codes carry 128 bits; a bot that fills the hidden box saves nothing; a
link takes five leads a day; a lead is tagged and messaged by nobody; an address the
business already knows changes nothing."""

import math
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from followthrough.customers.models import ConsentEvent, Customer
from followthrough.feedback import referrals
from followthrough.touchpoints.models import Touchpoint


def _post(client, code, n=0, **fields):
    data = {"name": f"Pat Lee {n}", "email": f"pat{n}@example.com"}
    data.update(fields)
    return client.post(f"/ref/{code}", data, REMOTE_ADDR=f"198.51.100.{n % 250 + 1}")


def test_it_makes_codes_of_at_least_128_bits(customer):
    code = referrals.ensure_code(customer)
    assert len(code) * math.log2(len(set(referrals.ALPHABET))) >= 128
    assert re.fullmatch(r"[A-Z2-9]+", code)
    assert len(referrals.ALPHABET) == len(set(referrals.ALPHABET))


def test_it_fits_a_new_code_in_the_column(customer):
    assert Customer._meta.get_field("referral_code").max_length >= referrals.CODE_LENGTH
    code = referrals.ensure_code(customer)
    assert Customer.objects.get(pk=customer.pk).referral_code == code


def test_it_still_opens_an_old_8_letter_code(client, customer):
    Customer.objects.filter(pk=customer.pk).update(referral_code="ABCD2345")
    assert client.get("/ref/abcd2345").status_code == 200


def test_it_saves_nothing_when_the_hidden_box_is_filled(client, customer, engagement):
    code = referrals.ensure_code(customer)
    response = _post(client, code, website="http://spam.example")
    assert response.status_code == 200
    assert "be in touch" in response.text
    assert not Customer.objects.filter(name__startswith="Pat Lee").exists()
    assert not Touchpoint.objects.filter(customer=customer).exists()


def test_it_hides_the_box_from_people(client, customer):
    text = client.get(f"/ref/{referrals.ensure_code(customer)}").text
    start = text.index('<div class="visually-hidden" aria-hidden="true">')
    assert text.index('name="website"') > start
    assert 'tabindex="-1"' in text
    assert text.count('name="website"') == 1


def test_it_takes_at_most_five_leads_a_day_per_link(client, customer, engagement):
    code = referrals.ensure_code(customer)
    for n in range(referrals.LEADS_PER_DAY):
        assert _post(client, code, n).status_code == 200
    response = _post(client, code, 99)
    assert response.status_code == 429
    assert "get in touch with Riverside Plumbing directly" in response.text
    assert customer.referrals.count() == referrals.LEADS_PER_DAY
    assert Touchpoint.objects.filter(customer=customer).count() == referrals.LEADS_PER_DAY


def test_it_takes_leads_again_the_next_day(client, customer):
    code = referrals.ensure_code(customer)
    for n in range(referrals.LEADS_PER_DAY):
        _post(client, code, n)
    customer.referrals.update(created_at=timezone.now() - timedelta(hours=25))
    assert _post(client, code, 99).status_code == 200


def test_it_tags_a_lead_and_plans_nothing_for_them(client, customer, engagement):
    _post(client, referrals.ensure_code(customer), 1, message="A leaky tap")
    lead = Customer.objects.get(email="pat1@example.com")
    assert lead.tags == referrals.LEAD_TAG and lead.referred_by == customer
    assert not lead.engagements.exists()
    assert not Touchpoint.objects.filter(customer=lead).exists()
    assert not ConsentEvent.objects.filter(customer=lead).exists()


def test_it_changes_nothing_for_an_address_it_already_knows(client, business, customer):
    known = Customer.objects.create(business=business, name="Robin Ash",
                                    email="robin@example.com", phone="+15185550199")
    code = referrals.ensure_code(customer)
    for fields in ({"email": "ROBIN@example.com"}, {"email": "", "phone": "+1 518 555 0199"}):
        response = _post(client, code, 1, name="Attacker", notes="x", **fields)
        assert response.status_code == 200
    known.refresh_from_db()
    assert (known.name, known.referred_by) == ("Robin Ash", None)
    assert Customer.objects.filter(business=business).count() == 2


def test_it_names_the_phone_field_when_it_is_not_a_number(client, customer):
    response = _post(client, referrals.ensure_code(customer), 1, email="", phone="call me")
    assert response.status_code == 400
    assert "Your phone:" in response.text
    assert not Customer.objects.filter(name__startswith="Pat Lee").exists()


def test_it_limits_posts_from_one_address(client, customer):
    code = referrals.ensure_code(customer)
    entry = settings.PUBLIC_RATE_LIMITS["/ref/"]  # a count per minute, or (count, seconds)
    limit = entry[0] if isinstance(entry, tuple | list) else entry
    for _ in range(limit):
        assert client.post(f"/ref/{code}", {"website": "x"}).status_code == 200
    assert client.post(f"/ref/{code}", {"website": "x"}).status_code == 429
