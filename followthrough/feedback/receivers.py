"""Receivers for signals sent by apps to the left of feedback."""

from django.db import transaction

from followthrough.feedback import referrals


def plan_referral_thanks(sender, customer, code, **kwargs):
    """A customer typed in another customer's referral code (customers.signals): credit the
    referrer and plan the thank-you card, as the public referral page does."""
    referrer = referrals.referrer_for(customer.business, code)
    if referrer is None:
        return
    with transaction.atomic():
        referrals.attribute(customer, referrer)
