"""Referral codes, attribution and the thank-you to the referrer."""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.customers.services import upsert_customer
from followthrough.feedback.services import personal_touch
from followthrough.touchpoints.models import Origin

# No 0/O, 1/I/L: a code read out over the phone must survive.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# The code is also the key to a public page (/ref/<code>), so it carries 128 random bits
# like every customer link: 26 letters of 31 give 128.8. Codes made before were 8 letters
# (40 bits); they keep working, and the limits on the page below bound what a guess wins.
CODE_LENGTH = 26
THANKS_PRIORITY = 20

# The public referral page takes details from anyone holding the link, which is meant to
# be shared. What arrives is a lead: a customer tagged LEAD_TAG, with no sale or job, no
# consent and so no messages, until the team speaks to them. A link takes LEADS_PER_DAY
# leads a day; an address it already knows changes nothing and gets no credit.
LEAD_TAG = "referral lead"
LEADS_PER_DAY = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def ensure_code(customer: Customer) -> str:
    """The customer's referral code, made on first use."""
    for _ in range(5):
        if customer.referral_code:
            return customer.referral_code
        code = new_code()
        try:
            with transaction.atomic():
                if Customer.objects.filter(pk=customer.pk, referral_code=None).update(
                        referral_code=code):
                    customer.referral_code = code
                else:
                    customer.refresh_from_db(fields=["referral_code"])
        except IntegrityError:
            continue
    return customer.referral_code or ""


def referrer_for(business, code: str) -> Customer | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return Customer.objects.filter(business=business, referral_code=code).first()


def attribute(customer: Customer, referrer: Customer, now=None) -> None:
    """Credit `referrer` with `customer` and plan a thank-you card for the referrer."""
    if referrer.pk == customer.pk or referrer.business_id != customer.business_id:
        return
    now = now or timezone.now()
    Customer.objects.filter(pk=customer.pk, referred_by=None).update(referred_by=referrer)
    customer.referred_by = referrer
    engagement = referrer.engagements.order_by("-won_at").first()
    if engagement is None:
        return  # a touchpoint belongs to an engagement; the count still shows the referral
    body = render_to_string("feedback/referral_thanks.txt",
                            {"referrer": referrer, "customer": customer})
    personal_touch(engagement, f"referral:{customer.public_id}",
                   f"Thank {referrer.first_name} for the referral", body, THANKS_PRIORITY, now,
                   channel=kinds.CARD, element=v.THANK_YOU, origin=Origin.REFERRAL)


class TooManyLeads(Exception):
    """The referral link has taken its LEADS_PER_DAY leads in the last day."""


def leads_today(referrer: Customer, now=None) -> int:
    since = (now or timezone.now()) - timedelta(days=1)
    return Customer.objects.filter(referred_by=referrer, created_at__gte=since,
                                   tags__contains=LEAD_TAG).count()


def receive_lead(referrer: Customer, data: dict, now=None) -> Customer | None:
    """A friend's details from the public referral page: the new lead, or None when the
    business already knows the email or phone (nothing about that customer changes, and
    nobody is credited). Raises TooManyLeads, or ValidationError naming the field.

    Call inside a transaction; the referrer row is locked so the daily cap holds when
    several posts arrive at once."""
    Customer.objects.select_for_update().filter(pk=referrer.pk).first()
    if leads_today(referrer, now) >= LEADS_PER_DAY:
        raise TooManyLeads
    if _already_known(referrer.business, data):
        return None
    lead, _ = upsert_customer(referrer.business, {
        "name": data["name"], "email": data["email"], "phone": data["phone"],
        "tags": LEAD_TAG,
        "notes": f"Came through {referrer.name}'s referral link. {data['message']}".strip(),
    })
    attribute(lead, referrer, now)
    return lead


def _already_known(business, data: dict) -> bool:
    known = Q()
    if data.get("email"):
        known |= Q(email__iexact=data["email"])
    if data.get("phone"):
        known |= Q(phone=data["phone"])
    return bool(known) and Customer.objects.filter(known, business=business).exists()
