"""Referral codes, attribution and the thank-you to the referrer."""

import secrets

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.feedback.services import personal_touch
from followthrough.playbooks import vocabulary as v

# No 0/O, 1/I/L: a code read out over the phone must survive.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
THANKS_PRIORITY = 20


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
                   channel=kinds.CARD, element=v.THANK_YOU)
