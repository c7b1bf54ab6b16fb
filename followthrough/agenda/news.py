"""Industry news to share (stage 2): the owner adds a link and a personal note, and each
chosen customer gets it as a relationship email. The rows are step-less touchpoints holding
their own text, so the worker sends exactly what the owner wrote, at the next time the
contact-pressure budget allows (quiet hours, frequency cap)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import may_contact
from followthrough.customers.models import Customer
from followthrough.playbooks.planner import next_allowed
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Reason, Touchpoint
from followthrough.touchpoints.planning import cap_busy, customer_calendar

NAME = "Industry news to share"
DEFAULT_SUBJECT = "Thought you'd find this useful"
KEY_PREFIX = "news:"


@dataclass
class Shared:
    sent: list[Touchpoint] = field(default_factory=list)
    skipped: list[tuple[Customer, str]] = field(default_factory=list)


def customers_tagged(business: Business, tag: str) -> list[Customer]:
    wanted = tag.strip().lower()
    found = Customer.objects.filter(business=business, tags__icontains=wanted)
    return [c for c in found if wanted in {t.lower() for t in c.tag_list}]


def share_news(business: Business, customers: list[Customer], link: str, note: str,
               subject: str = "", now: dt.datetime | None = None) -> Shared:
    """One email per customer who can get it; the others come back with the reason."""
    now = now or timezone.now()
    note, subject = note.strip(), (subject or DEFAULT_SUBJECT).strip()
    if not note:
        raise ValidationError({"note": "Add a line or two on why you're sharing it."})
    if not customers:
        raise ValidationError({"tag": "Nobody has that tag yet."})
    batch = new_public_id()
    shared = Shared()
    with transaction.atomic():
        for customer in customers:
            reason = _why_not(customer)
            if reason:
                shared.skipped.append((customer, reason))
                continue
            shared.sent.append(_touchpoint(business, customer, batch, link, note, subject, now))
    return shared


def _why_not(customer: Customer) -> str:
    if not customer.email:
        return "no email address"
    if not customer.engagements.exists():
        return "no job yet"
    if not may_contact(customer, kinds.EMAIL, v.RELATIONSHIP):
        return "asked not to get emails"
    return ""


def _touchpoint(business: Business, customer: Customer, batch: str, link: str, note: str,
                subject: str, now: dt.datetime) -> Touchpoint:
    # Touchpoints hang off an engagement: the customer's latest job carries the row.
    engagement = customer.engagements.order_by("-won_at", "-id").first()
    busy = cap_busy(business, customer.pk).values_list("due_at", flat=True)
    due = next_allowed(now, kinds.EMAIL, customer_calendar(business, customer), list(busy))
    local = now.astimezone(business.zone)
    moved = due != now
    return lifecycle.create(
        origin=Origin.NEWS, business=business, engagement=engagement, customer=customer,
        idempotency_key=f"{KEY_PREFIX}{batch}:{customer.public_id}", name=NAME,
        channel=kinds.EMAIL, stage=2, element=v.OTHER, purpose=v.RELATIONSHIP,
        due_at=due, local_date=local.date(), local_time=local.time().replace(microsecond=0),
        moved_reason=Reason.LABELS[Reason.NEXT_FREE_TIME] if moved else "",
        reason_code=Reason.NEXT_FREE_TIME if moved else Reason.NONE,
        rendered_subject=subject[:300], rendered_body=_body(business, customer, link, note),
    )


def _body(business: Business, customer: Customer, link: str, note: str) -> str:
    greeting = f"Hi {customer.first_name}," if customer.first_name else "Hello,"
    sign_off = business.sender_name or business.name
    lines = [greeting, "", note, "", link, "", sign_off]
    if business.sender_name:
        lines.append(business.name)
    return "\n".join(lines)
