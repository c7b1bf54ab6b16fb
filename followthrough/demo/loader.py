"""Builds the demo business: about 40 customers whose engagements sit in every stage,
with a believable history (sent mail, calls done) and work due today."""

import datetime as dt
import random
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from followthrough.channels.rendering import render_text
from followthrough.customers.models import Customer
from followthrough.customers.services import upsert_customer
from followthrough.demo import data
from followthrough.demo.extras import add_after_sales_story
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Playbook
from followthrough.tenants.models import Business, Membership
from followthrough.touchpoints.merge import merge_context
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.services import create_engagement

DEMO_SLUG = "riverside-demo"
OWNER_EMAIL = "owner@riverside.example"
CUSTOMER_COUNT = 40

# Days ago the job was won, and which lifecycle dates it has reached, so every stage shows up.
SHAPES = [
    {"won": 0, "started": None, "delivered": None},
    {"won": 1, "started": None, "delivered": None},
    {"won": 6, "started": 3, "delivered": None},
    {"won": 12, "started": 8, "delivered": None},
    {"won": 9, "started": 5, "delivered": 1},
    {"won": 20, "started": 15, "delivered": 3},
    {"won": 45, "started": 40, "delivered": 30},
    {"won": 120, "started": 110, "delivered": 100},
]


DONE_NOTES = {
    "call": [
        "Reached them, all happy.", "Left a voicemail.",
        "Good chat; they may need a second radiator.",
    ],
    "card": ["Card posted.", "Wrote it on the van before the next job."],
    "visit": ["Dropped by; everything working."],
}


def load_demo(rng: random.Random | None = None) -> tuple[Business, str] | None:
    """Returns the business and the owner's new password, or None if already loaded."""
    if Business.objects.filter(slug=DEMO_SLUG).exists():
        return None
    rng = rng or random.Random(2026)  # noqa: S311 - made-up data, not security
    with transaction.atomic():
        business = _create_business()
        owner, password = _create_owner(business)
        install_builtin_playbooks(business)
        for index in range(CUSTOMER_COUNT):
            _create_customer_story(business, index, rng)
        add_after_sales_story(business, owner, rng)
    return business, password


def _create_business() -> Business:
    return Business.objects.create(
        slug=DEMO_SLUG, name="Riverside Plumbing & Heating", timezone="Europe/London",
        sender_name="Sam at Riverside", sender_email="sam@riverside.example",
        reply_to_email="sam@riverside.example", phone="+44 20 7946 0000",
        website="https://riverside.example",
        postal_address="Riverside Plumbing & Heating, 12 Mill Lane, Kingston KT1 1AA",
    )


def _create_owner(business: Business):
    password = secrets.token_urlsafe(9)
    user_model = get_user_model()
    user = user_model.objects.filter(username=OWNER_EMAIL).first()
    if user is None:
        user = user_model.objects.create_user(
            username=OWNER_EMAIL, email=OWNER_EMAIL, password=password, first_name="Sam"
        )
    else:
        user.set_password(password)
        user.save()
    Membership.objects.get_or_create(business=business, user=user, defaults={"role": "owner"})
    return user, password


def _create_customer_story(business: Business, index: int, rng: random.Random) -> None:
    customer = _create_customer(business, index, rng)
    shape = SHAPES[index % len(SHAPES)]
    playbook_slug = "product-order" if index % 3 == 2 else "service-job"
    playbook = Playbook.objects.get(business=business, slug=playbook_slug)
    catalogue = data.PRODUCT_ORDERS if playbook_slug == "product-order" else data.SERVICE_JOBS
    kind, description, value = rng.choice(catalogue)
    now = timezone.now()
    engagement = create_engagement(
        business, customer, playbook, kind=kind, description=description, value=value,
        won_at=_days_ago(now, shape["won"], rng),
        started_at=_days_ago(now, shape["started"], rng),
        delivered_at=_days_ago(now, shape["delivered"], rng),
    )
    _write_history(engagement.touchpoints.all(), now, rng)


def _create_customer(business: Business, index: int, rng: random.Random) -> Customer:
    first = data.FIRST_NAMES[index % len(data.FIRST_NAMES)]
    last = data.LAST_NAMES[(index * 7) % len(data.LAST_NAMES)]
    customer, _ = upsert_customer(business, {
        "name": f"{first} {last}",
        "email": f"{first}.{last}@example.com".lower(),
        "phone": f"+44 20 7946 0{index:03d}",
        "postal_address": f"{rng.randint(1, 90)} {rng.choice(data.STREETS)}, Kingston",
        "defining_moment": rng.choice(data.DEFINING_MOMENTS),
        "external_id": f"demo-{index:03d}",
        "tags": rng.choice(["", "repeat", "landlord", "new build"]),
    })
    return customer


def _days_ago(now: dt.datetime, days: int | None, rng: random.Random) -> dt.datetime | None:
    if days is None:
        return None
    return now - dt.timedelta(days=days, hours=rng.randint(0, 3))


def _write_history(touchpoints, now: dt.datetime, rng: random.Random) -> None:
    """Touchpoints more than a day overdue become history, as if the business had been
    using Followthrough all along; the rest stay planned so the worker and Today have work."""
    for touchpoint in touchpoints:
        if touchpoint.due_at > now - dt.timedelta(days=1):
            continue
        if touchpoint.status not in (Status.PLANNED, Status.MISSED):
            continue
        _complete_in_the_past(touchpoint, rng)


def _complete_in_the_past(touchpoint: Touchpoint, rng: random.Random) -> None:
    if touchpoint.is_automated:
        context = merge_context(touchpoint)
        step = touchpoint.step
        touchpoint.rendered_subject = render_text(step.subject, context)[:300] if step else ""
        touchpoint.rendered_body = render_text(step.body, context) if step else ""
        touchpoint.recipient = touchpoint.customer.email
        touchpoint.status = Status.SENT
    elif rng.random() < 0.85:
        touchpoint.status = Status.DONE
        touchpoint.outcome_note = rng.choice(DONE_NOTES.get(touchpoint.channel, ["Done."]))
    else:
        touchpoint.status = Status.SKIPPED
        touchpoint.outcome_note = "Could not reach them this time."
    touchpoint.completed_at = touchpoint.due_at
    touchpoint.save()
