"""Touchpoint test data built straight with the ORM (no planner), and the SMTP sink."""

import datetime as dt
import itertools

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints.models import Touchpoint
from tests.smtp import running_sink

# Noon in New York (the `business` fixture's zone): well outside the default quiet hours.
NOON = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)

_numbers = itertools.count(1)


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


@pytest.fixture
def step(business):
    playbook = Playbook.objects.create(business=business, slug="after-job", name="After a job")
    return Step.objects.create(
        playbook=playbook, name="Thank you", channel=kinds.EMAIL, element=v.THANK_YOU,
        purpose=v.RELATIONSHIP, subject="Thanks, {{ customer_first_name }}!",
        body="Hi {{ customer_first_name }},\n\nThanks for choosing {{ business_name }} "
             "for {{ engagement_description }}.\n\n{{ sender_name }}",
    )


@pytest.fixture
def make_touchpoint(business, step):
    def make(channel=kinds.EMAIL, purpose=v.RELATIONSHIP, due_at=NOON - dt.timedelta(minutes=5),
             email="jamie@customer.example", name="Jamie O'Brien", **fields):
        n = next(_numbers)
        customer = Customer.objects.create(business=business, name=name, email=email)
        engagement = Engagement.objects.create(
            business=business, customer=customer, playbook=step.playbook, kind="Job",
            description="a new water heater", won_at=due_at - dt.timedelta(days=3),
        )
        local = due_at.astimezone(business.zone)
        return Touchpoint.objects.create(
            business=business, engagement=engagement, customer=customer, step=step,
            idempotency_key=f"{engagement.public_id}:{step.public_id}:{n}", name=step.name,
            channel=channel, stage=4, element=v.THANK_YOU, purpose=purpose, due_at=due_at,
            local_date=local.date(), local_time=local.time(), **fields,
        )

    return make
