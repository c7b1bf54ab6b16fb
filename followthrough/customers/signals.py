"""Signals customers sends to apps on its right, which may not be imported from here."""

from django.dispatch import Signal

# A new customer was created through another customer's referral code, and `referred_by`
# is already saved. Sent with customer=<the new Customer> and code=<the code as typed,
# already checked>. feedback plans the thank-you to the referrer. Receivers run inside the
# sender's transaction when there is one, so a failure there saves nothing.
customer_referred = Signal()
