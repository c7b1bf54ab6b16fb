"""Newsletter double opt-in: ask, get a confirmation link by email, confirm on a page."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.mailqueue import queue_mail
from followthrough.channels.models import QueuedMail
from followthrough.customers.consent import may_contact, may_contact_many
from followthrough.customers.models import ConsentEvent, Customer
from followthrough.touchpoints.planning import plan_engagement

SALT = "followthrough.newsletter"
CONFIRM_DAYS = 7
CONFIRM_EVERY = dt.timedelta(hours=1)
CONFIRMATION = "subscribe_confirmation"


def confirm_token(customer: Customer) -> str:
    return signing.dumps(customer.public_id, salt=SALT)


def customer_for(token: str) -> Customer:
    """Raises BadSignature for a forged, unknown or week-old link."""
    public_id = signing.loads(token, salt=SALT, max_age=CONFIRM_DAYS * 86400)
    customer = Customer.objects.select_related("business").filter(public_id=public_id).first()
    if customer is None:
        raise signing.BadSignature("Unknown customer")
    return customer


def send_confirmation(customer: Customer) -> bool:
    """Queue the confirmation link (the worker sends it). An address on the do-not-contact
    list gets nothing; only an owner can lift that. True when a message was queued."""
    business = customer.business
    if not may_contact(customer, kinds.EMAIL, v.TRANSACTIONAL):
        return False
    if _asked_recently(customer):
        return False
    link = f"{settings.SITE_URL}/n/confirm/{confirm_token(customer)}"
    queue_mail(
        f"Please confirm: updates from {business.name}",
        render_to_string("feedback/subscribe_email.txt",
                         {"customer": customer, "shop": business, "link": link}),
        [customer.email], kind=CONFIRMATION, business=business,
        from_email=business.from_email,
    )
    return True


def _asked_recently(customer: Customer) -> bool:
    """One confirmation an hour per address: the subscribe page is public, and pressing it
    again and again must not turn into a stream of emails to the customer."""
    since = timezone.now() - CONFIRM_EVERY
    return QueuedMail.objects.filter(business=customer.business, kind=CONFIRMATION,
                                     to=customer.email.strip(), created_at__gte=since).exists()


def replan(customer: Customer) -> None:
    """Steps skipped for want of consent come back now that the customer said yes."""
    for engagement in customer.engagements.filter(cancelled_at=None):
        plan_engagement(engagement)


def subscribers(business):
    """Customers whose newest marketing email consent is a yes (and not suppressed)."""
    said_yes = ConsentEvent.objects.filter(business=business, channel=kinds.EMAIL,
                                           purpose=v.MARKETING, granted=True)
    customers = list(Customer.objects.filter(business=business,
                                              pk__in=said_yes.values("customer_id"))
                     .exclude(email="").order_by("name"))
    allowed = may_contact_many((c.pk, kinds.EMAIL, v.MARKETING) for c in customers)
    return [c for c in customers if (c.pk, kinds.EMAIL, v.MARKETING) in allowed]
