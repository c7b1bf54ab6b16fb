"""Which business, customer and job an inbound message belongs to.

Email: first the thread (In-Reply-To, then References, against the Message-IDs we sent),
then the sender's address inside the business the mail was addressed to. Text: the phone
number, inside the business whose own Twilio number received it; on the install's shared
number, the business is the one that last texted that number, else the one that has it as
a customer. A sender nobody knows is unmatched:
it waits on the Unmatched page of its business for a person to attach it."""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from followthrough.channels import kinds
from followthrough.conversations.models import Message, SentMessage
from followthrough.customers.models import Customer, Engagement
from followthrough.phones import parse_phone
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Status, Touchpoint

# A reply to a text more than this old is about the customer, not that text's job.
TEXT_THREAD_WINDOW = dt.timedelta(days=30)
MAX_REFERENCES = 20
_MESSAGE_IDS = re.compile(r"<[^<>\s]{1,250}>")


@dataclass
class Match:
    business: Business | None = None
    customer: Customer | None = None
    engagement: Engagement | None = None
    touchpoint: Touchpoint | None = None
    by: str = ""


def message_ids(*headers: str) -> list[str]:
    """The Message-IDs named in In-Reply-To and References, newest first."""
    found = []
    for header in headers:
        found += reversed(_MESSAGE_IDS.findall(header or ""))
    return list(dict.fromkeys(found))[:MAX_REFERENCES]


def by_thread(in_reply_to: str, references: str) -> Match | None:
    ids = message_ids(in_reply_to, references)
    if not ids:
        return None
    sent = {row.message_id: row for row in SentMessage.objects.filter(message_id__in=ids)
            .select_related("touchpoint__business", "touchpoint__customer",
                            "touchpoint__engagement")}
    for message_id in ids:
        if message_id in sent:
            touchpoint = sent[message_id].touchpoint
            return Match(touchpoint.business, touchpoint.customer, touchpoint.engagement,
                         touchpoint, Message.BY_THREAD)
    return None


def business_for_email(recipients: list[str], sender: str) -> Business | None:
    """The business the mail was addressed to (its reply-to or sender address), else the
    one business that knows the sender, else the only business of the install."""
    addresses = Q()
    for address in recipients:
        addresses |= Q(reply_to_email__iexact=address) | Q(sender_email__iexact=address)
    if recipients:
        found = Business.objects.filter(addresses).order_by("id").first()
        if found:
            return found
    if sender:
        ids = set(Customer.objects.filter(email__iexact=sender)
                  .values_list("business_id", flat=True)[:2])
        if len(ids) == 1:
            return Business.objects.get(pk=ids.pop())
    return only_business()


def only_business() -> Business | None:
    businesses = list(Business.objects.order_by("id")[:2])
    return businesses[0] if len(businesses) == 1 else None


def match_email(sender: str, recipients: list[str], in_reply_to: str,
                references: str, business: Business | None = None) -> Match:
    """`business` is given when the mailbox the mail came from is that business's own: then
    nothing of another business can match."""
    thread = by_thread(in_reply_to, references)
    if thread and (business is None or thread.business.pk == business.pk):
        return thread
    business = business or business_for_email(recipients, sender)
    if business is None or not sender:
        return Match(business)
    customer = (Customer.objects.filter(business=business, email__iexact=sender)
                .order_by("-updated_at", "-id").first())
    return Match(business, customer, by=Message.BY_ADDRESS if customer else "")


def business_for_text(to: str) -> Business | None:
    """The business whose own Twilio number received the text, or None when it came to
    the install's shared number (TWILIO_FROM overrides every business's own)."""
    if settings.TWILIO_FROM:
        return None
    try:
        number = parse_phone(to)
    except ValidationError:  # a short code, or no To at all: no business's own number
        return None
    owners = list(Business.objects.filter(sms_from_number=number).exclude(sms_from_number="")
                  .order_by("id")[:2])
    return owners[0] if len(owners) == 1 else None


def match_text(phone: str, now: dt.datetime, business: Business | None = None) -> Match:
    """`business` is given when the text came to that business's own number: then no
    customer of another business can match, even one with the same phone."""
    if not phone:
        return Match(business or only_business())
    customers = Customer.objects.filter(phone=phone)
    if business is not None:
        customers = customers.filter(business=business)
    last = (Touchpoint.objects.filter(customer__in=customers, channel=kinds.SMS,
                                      status=Status.SENT)
            .select_related("business", "customer", "engagement").order_by("-due_at").first())
    if last is not None:
        recent = last.completed_at and now - last.completed_at <= TEXT_THREAD_WINDOW
        return Match(last.business, last.customer, last.engagement if recent else None,
                     last if recent else None, Message.BY_PHONE)
    customer = customers.select_related("business").order_by("-updated_at", "-id").first()
    if customer is not None:
        return Match(customer.business, customer, by=Message.BY_PHONE)
    return Match(business or only_business())


def latest_engagement(customer: Customer) -> Engagement | None:
    return (Engagement.objects.filter(customer=customer, cancelled_at=None)
            .order_by("-won_at", "-id").first())
