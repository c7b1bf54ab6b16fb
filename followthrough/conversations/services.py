"""Storing what customers send, acting on it, and the owner's replies.

A new message from a person (not an automatic answer) fires `inbound.received`; when its
customer is known it either opens an incident (it reads as a complaint: reading.py) or
puts a "Reply to …" touch on Today, once per customer until someone answers. The owner's
reply is a touchpoint like any other message: the worker sends it, with consent and quiet
hours checked just before."""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.transports import sms_account
from followthrough.conversations import reading
from followthrough.conversations.matching import (
    Match,
    business_for_text,
    latest_engagement,
    match_text,
    message_ids,
)
from followthrough.conversations.models import BODY_LIMIT, Attachment, Message
from followthrough.customers.models import Customer
from followthrough.feedback import services as feedback
from followthrough.feedback.models import Incident
from followthrough.phones import parse_phone
from followthrough.text import clean_line, clean_text
from followthrough.tokens import new_public_id
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Status, Touchpoint

log = logging.getLogger("followthrough.conversations")

# The Today touch's key opens with this; a reply from the conversation closes it.
REPLY_KEY = "inbound:"
REPLY_PRIORITY = 60  # above a follow-up question (50), below a recovery call (100)
REPLY_KEY_PREFIX = "reply:"
SMS_REPLY_LIMIT = 1600  # Twilio's longest text
EXCERPT = 300


class Refused(Exception):
    """A message we will not take, and why: the sender's system gets this as a 4xx."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass
class Incoming:
    channel: str
    sender: str
    body: str
    received_at: dt.datetime
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    automatic: str = ""
    # (file name, content type, bytes) of each file that came with it.
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def fit(body: str) -> tuple[str, bool]:
    """The body cleaned, and cut to BODY_LIMIT characters (said on the row) if longer."""
    body = clean_text(body or "")
    return (body[:BODY_LIMIT], True) if len(body) > BODY_LIMIT else (body, False)


def receive(incoming: Incoming, match: Match, now=None) -> tuple[Message, bool]:
    """Store one inbound message and act on it; returns (message, created). A provider
    that retries finds the first one and nothing happens twice."""
    now = now or timezone.now()
    with transaction.atomic():
        found = _duplicate(match.business, incoming)
        if found:
            return found, False
        message = _build(incoming, match)
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:  # the same message, stored meanwhile by a concurrent retry
            return _duplicate(match.business, incoming), False
        _keep_attachments(message, incoming.attachments)
        if message.business_id is None:
            log.warning("inbound %s %s kept, but no business can be told which it is for",
                        message.channel, message.public_id)
        elif not message.is_automatic:
            _safely(_announce, message)
            _safely(_follow_up, message, now)
    return message, True


def receive_text(sender: str, phone: str, body: str, sid: str, to: str = "",
                 media: int = 0, now=None) -> tuple[Message, bool]:
    """A text from Twilio's inbound webhook (STOP and START excepted: they are consent).
    `phone` is the sender in E.164, or "" when it is not a number we can read."""
    now = now or timezone.now()
    if media and not body.strip():
        body = f"(A text with {media} picture{'s' if media != 1 else ''} or file"
        body += f"{'s' if media != 1 else ''}; they are not kept.)"
    incoming = Incoming(channel=kinds.SMS, sender=phone or sender, body=body,
                        received_at=now, recipients=[to] if to else [], message_id=sid)
    return receive(incoming, match_text(phone, now, business_for_text(to)), now)


# What is kept of the files that come with an email; the rest is named in the message.
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_MESSAGE = 10


def _keep_attachments(message: Message, files: list[tuple[str, str, bytes]]) -> None:
    left_out = []
    for number, (name, content_type, data) in enumerate(files):
        name = clean_line(name or "")[:200] or f"attachment-{number + 1}"
        if number >= ATTACHMENTS_PER_MESSAGE or len(data) > ATTACHMENT_MAX_BYTES:
            left_out.append(name)
            continue
        Attachment.objects.create(business_id=message.business_id, message=message,
                                  filename=name, size=len(data), data=data,
                                  content_type=clean_line(content_type or "")[:100]
                                  or "application/octet-stream")
    if left_out:
        limit = ATTACHMENT_MAX_BYTES // (1024 * 1024)
        note = (f"\n\n[Not kept: {', '.join(left_out)}. Files over {limit} MB, or more than "
                f"{ATTACHMENTS_PER_MESSAGE} in one email, are not kept.]")
        Message.objects.filter(pk=message.pk).update(body=message.body + note)
        message.body += note


def _build(incoming: Incoming, match: Match) -> Message:
    body, truncated = fit(incoming.body)
    message = Message(
        business=match.business, customer=match.customer, engagement=match.engagement,
        touchpoint=match.touchpoint, matched_by=match.by, direction=Message.IN,
        channel=incoming.channel, from_address=clean_line(incoming.sender or "")[:254],
        recipient=clean_line(", ".join(incoming.recipients))[:254],
        subject=clean_line(incoming.subject or "")[:300], body=body, truncated=truncated,
        message_id=clean_line(incoming.message_id or "")[:300],
        in_reply_to=clean_line(incoming.in_reply_to or "")[:300],
        references=clean_line(incoming.references or "")[:2000],
        received_at=incoming.received_at, automatic=incoming.automatic,
    )
    if not message.is_automatic:
        message.complaint_reason = reading.read(body).why[:120]
    return message


def _duplicate(business, incoming: Incoming) -> Message | None:
    message_id = clean_line(incoming.message_id or "")[:300]
    if not message_id:
        return None
    return Message.objects.filter(business=business, channel=incoming.channel,
                                  direction=Message.IN, message_id=message_id).first()


def _safely(action, *args) -> None:
    """One reaction that fails (a broken template, a full disk for the alert) is logged;
    the message itself is kept, and so are the other reactions."""
    try:
        with transaction.atomic():
            action(*args)
    except Exception:
        log.exception("inbound message %s: %s failed", args[0].public_id, action.__name__)


def _announce(message: Message) -> None:
    customer, engagement = message.customer, message.engagement
    events.publish(message.business, events.INBOUND_RECEIVED, {
        "message": message.public_id, "channel": message.channel,
        "customer": customer.public_id if customer else None,
        "engagement": engagement.public_id if engagement else None,
        "received_at": message.received_at.isoformat(),
        "complaint": message.is_complaint,
    })


def _follow_up(message: Message, now: dt.datetime) -> None:
    """An incident for a complaint; otherwise a "Reply to …" touch on Today, unless one is
    already waiting for this customer."""
    customer = message.customer
    if customer is None:
        return
    engagement = message.engagement or latest_engagement(customer)
    # An incident belongs to a job; a complaint from someone with none is a Reply touch.
    if message.is_complaint and engagement is not None:
        feedback.open_incident(customer, engagement, Incident.COMPLAINT,
                               summary=f"They wrote: {excerpt(message.body)}", now=now)
        return
    waiting = Touchpoint.objects.filter(customer=customer, status=Status.PLANNED,
                                        idempotency_key__startswith=REPLY_KEY)
    if waiting.exists():
        return
    name = f"Reply to {customer.name}"[:120]
    feedback.personal_touch(engagement, f"{REPLY_KEY}{message.public_id}", name,
                            reply_script(message), REPLY_PRIORITY, now, channel=kinds.CALL,
                            element=v.OTHER, origin=Origin.FOLLOW_UP, customer=customer)


def excerpt(body: str) -> str:
    words = " ".join(reading.own_words(body).split()) or " ".join(body.split())
    return words if len(words) <= EXCERPT else words[:EXCERPT - 1] + "…"


def reply_script(message: Message) -> str:
    customer = message.customer
    when = message.received_at.astimezone(message.business.zone)
    how = "text" if message.channel == kinds.SMS else "email"
    page = settings.SITE_URL + reverse("customer_detail", args=[customer.public_id])
    return (f"{customer.first_name or customer.name} wrote by {how} on "
            f"{when:%d %b at %H:%M}:\n“{excerpt(message.body)}”\n\n"
            f"Answer by email or text from their page ({page}#conversation), or call them.")


def attach(message: Message, customer: Customer, now=None) -> Message:
    """A person says who an unmatched message is from; it then counts as theirs."""
    now = now or timezone.now()
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, customer=None).update(
                customer=customer, matched_by=Message.BY_HAND):
            raise ValidationError({"customer": "This message is already attached."})
        message.customer, message.matched_by = customer, Message.BY_HAND
        if not message.is_automatic:
            _safely(_follow_up, message, now)
    return message


# The owner's reply ------------------------------------------------------------------------

def reply(business, customer: Customer, channel: str, body: str, subject: str = "",
          answering: Message | None = None, user=None, now=None) -> Message:
    """Queue the owner's reply as a touchpoint for the worker. A reply to something the
    customer sent is transactional (they asked); a message out of the blue is not."""
    now = now or timezone.now()
    body, subject = clean_text(body or ""), clean_line(subject or "")
    engagement = (answering.engagement if answering else None) or latest_engagement(customer)
    _check_reply(customer, channel, body, engagement)
    purpose = v.TRANSACTIONAL if answering else v.RELATIONSHIP
    if channel == kinds.EMAIL and not subject:
        subject = (f"Re: {answering.subject}" if answering and answering.subject
                   else f"A note from {business.name}")
    local = now.astimezone(business.zone)
    with transaction.atomic():
        touchpoint = lifecycle.create(
            origin=Origin.MANUAL, idempotency_key=f"{REPLY_KEY_PREFIX}{new_public_id()}",
            business=business, engagement=engagement, customer=customer,
            name=f"Reply by {'text' if channel == kinds.SMS else 'email'}", channel=channel,
            stage=4, element=v.OTHER, purpose=purpose, due_at=now, local_date=local.date(),
            local_time=local.time().replace(microsecond=0), assigned_to=user,
            rendered_subject=subject[:300] if channel == kinds.EMAIL else "",
            rendered_body=body)
        message = Message.objects.create(
            business=business, customer=customer, engagement=engagement,
            touchpoint=touchpoint, direction=Message.OUT, channel=channel,
            from_address=(business.sender_email if channel == kinds.EMAIL
                          else sms_account(business).from_number),
            recipient=customer.email if channel == kinds.EMAIL else customer.phone,
            subject=touchpoint.rendered_subject, body=body, received_at=now,
            **(_thread_of(answering) if channel == kinds.EMAIL else {}))
        answered(customer, now)
    return message


REFERENCES_LENGTH = 2000


def _thread_of(answering: Message | None) -> dict:
    """In-Reply-To and References for an email answering `answering`, so the customer's
    mail app files it in their thread: their message, after the chain it named."""
    if answering is None or answering.channel != kinds.EMAIL:
        return {}
    chain = list(reversed(message_ids(answering.message_id, answering.references)))
    if not chain or chain[-1] not in answering.message_id:
        return {}
    while len(" ".join(chain)) > REFERENCES_LENGTH:
        chain.pop(0)  # RFC 5322 keeps the first and the newest; the newest matter most
    return {"in_reply_to": chain[-1], "references": " ".join(chain)}


def thread_headers(row: Touchpoint) -> tuple[tuple[str, str], ...]:
    """For the worker's compose (touchpoints.delivery.thread_lookups): the threading headers
    of an owner's email reply; () for every other row, without a query."""
    if not row.idempotency_key.startswith(REPLY_KEY_PREFIX):
        return ()
    sent = (Message.objects.filter(touchpoint_id=row.pk, direction=Message.OUT)
            .exclude(in_reply_to="").values_list("in_reply_to", "references").first())
    if sent is None:
        return ()
    return (("In-Reply-To", sent[0]), ("References", sent[1] or sent[0]))


def _check_reply(customer: Customer, channel: str, body: str, engagement) -> None:
    if channel not in (kinds.EMAIL, kinds.SMS):
        raise ValidationError({"channel": "Reply by email or by text."})
    if not body:
        raise ValidationError({"body": "Write the reply first."})
    limit = SMS_REPLY_LIMIT if channel == kinds.SMS else BODY_LIMIT
    if len(body) > limit:
        raise ValidationError({"body": f"Keep the reply under {limit} characters."})
    if channel == kinds.EMAIL and not customer.email:
        raise ValidationError({"channel": "This customer has no email address: "
                                          "add one, or reply by text."})
    if channel == kinds.SMS and not customer.phone:
        raise ValidationError({"channel": "This customer has no phone number: "
                                          "add one, or reply by email."})
    if engagement is None:
        raise ValidationError({"channel": "Messages are sent for a sale or job, and this "
                                          "customer has none yet: add one first."})


def answered(customer: Customer, now: dt.datetime) -> int:
    """Someone answered: the waiting "Reply to …" touch is done."""
    rows = Touchpoint.objects.filter(customer=customer, idempotency_key__startswith=REPLY_KEY)
    return lifecycle.transition(rows, Status.DONE, from_=Status.PLANNED, completed_at=now,
                                outcome_note="Answered from the conversation.")


def find_customer(business, text: str) -> Customer:
    """The customer someone typed: an email address, a phone number or a name."""
    text = clean_line(text or "")
    if not text:
        raise ValidationError({"customer": "Type the customer's name, email or phone."})
    customers = Customer.objects.filter(business=business)
    if "@" in text:
        found = customers.filter(email__iexact=text)
    elif text[0] in "+(0123456789":
        try:
            found = customers.filter(phone=parse_phone(text, business.phone_region))
        except ValidationError:
            found = customers.none()
    else:
        exact = customers.filter(name__iexact=text)
        found = exact if exact.exists() else customers.filter(name__icontains=text)
    matches = list(found.order_by("name", "id")[:2])
    if not matches:
        raise ValidationError({"customer": f"No customer matches “{text}”."})
    if len(matches) > 1:
        raise ValidationError({"customer": f"Several customers match “{text}”: type their "
                                           "email address or phone number."})
    return matches[0]
