"""Builds the demo business: about 40 customers whose engagements sit in every stage,
with a believable history (sent mail, calls done) and work due today."""

import datetime as dt
import random
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from followthrough.channels import mailqueue
from followthrough.customers.models import Customer, Engagement
from followthrough.customers.services import upsert_customer
from followthrough.demo import data, history
from followthrough.demo.extras import add_after_sales_story
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Playbook
from followthrough.tenants.members import invite
from followthrough.tenants.models import Business, Membership
from followthrough.touchpoints.planning import plan_engagement

DEMO_SLUG = "riverside-demo"
OWNER_EMAIL = "owner@riverside.example"
COLLEAGUE_EMAIL = "jo@riverside.example"
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
    # Last year's job: its yearly maintenance reminder has just gone out.
    {"won": 360, "started": 350, "delivered": 340},
]
# Touchpoints due before this long ago have happened; the rest are the worker's and Today's.
HISTORY_BEFORE = dt.timedelta(days=1)


def load_demo(rng: random.Random | None = None,
              now: dt.datetime | None = None) -> tuple[Business, str] | None:
    """Returns the business and the owner's new password, or None if already loaded.
    `now` is when the story is told from (default: now)."""
    if Business.objects.filter(slug=DEMO_SLUG).exists():
        return None
    history.check_backend()
    rng = rng or random.Random(2026)  # noqa: S311 - made-up data, not security
    now = now or timezone.now()
    with transaction.atomic():
        business = _create_business()
        owner, password = _create_owner(business)
        install_builtin_playbooks(business)
        for index in range(CUSTOMER_COUNT):
            _create_customer_story(business, index, rng, now)
        history.play(business, until=now - HISTORY_BEFORE, rng=rng)
        add_after_sales_story(business, owner, rng, now)
        _invite_a_colleague(business, owner)
        # The owner's alert and the invitation, sent now as the worker would on its first
        # pass, so the Outbox shows them from the start.
        mailqueue.deliver_due()
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


def _create_customer_story(business: Business, index: int, rng: random.Random,
                           now: dt.datetime) -> None:
    customer = _create_customer(business, index, rng)
    shape = SHAPES[index % len(SHAPES)]
    playbook_slug = "product-order" if index % 3 == 2 else "service-job"
    playbook = Playbook.objects.get(business=business, slug=playbook_slug)
    catalogue = data.PRODUCT_ORDERS if playbook_slug == "product-order" else data.SERVICE_JOBS
    kind, description, value = rng.choice(catalogue)
    engagement = Engagement(
        business=business, customer=customer, playbook=playbook, kind=kind,
        description=description, value=value, won_at=_days_ago(now, shape["won"], rng),
        started_at=_days_ago(now, shape["started"], rng),
        delivered_at=_days_ago(now, shape["delivered"], rng),
    )
    engagement.full_clean()
    engagement.save()
    # Planned as on the day it was won, so its past is still to happen: history.play then
    # lives through it. (Planned today, the past would only be missed.)
    plan_engagement(engagement, now=engagement.won_at)


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


def _invite_a_colleague(business: Business, owner) -> None:
    """Through the team page's own service, so the invitation email is the real one."""
    request = HttpRequest()
    request.user = owner
    invite(request, business, COLLEAGUE_EMAIL, Membership.STAFF)
