import datetime as dt
import itertools

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints.models import Status, Touchpoint

_n = itertools.count(1)


@pytest.fixture
def customer(business):
    return Customer.objects.create(
        business=business, name="Jamie Rivera", email="jamie@example.com",
        phone="+15185550142", defining_moment="We answered the phone on a Sunday.",
        notes="Has a dog called Pepper.", postal_address="4 Elm Street\nHudson, NY 12534",
    )


@pytest.fixture
def call_step(business):
    playbook = Playbook.objects.create(business=business, slug="agenda", name="Agenda")
    return Step.objects.create(
        playbook=playbook, name="Thank-you call", channel=kinds.CALL, element=v.THANK_YOU,
        body="Call {{ customer_first_name }} about {{ engagement_description }}.",
    )


@pytest.fixture
def touch(business, call_step, customer):
    """A planned touchpoint, due an hour ago unless told otherwise."""

    def make(channel=kinds.CALL, due_at=None, status=Status.PLANNED, who=None, name=None,
             element=v.THANK_YOU, step=True, priority=0):
        due_at = due_at or timezone.now() - dt.timedelta(hours=1)
        engagement = Engagement.objects.create(
            business=business, customer=customer, playbook=call_step.playbook, kind="Job",
            description="a new water heater", won_at=due_at - dt.timedelta(days=1),
        )
        local = due_at.astimezone(business.zone)
        return Touchpoint.objects.create(
            business=business, engagement=engagement, customer=customer,
            step=call_step if step else None,
            idempotency_key=f"{engagement.public_id}:x:{next(_n)}",
            name=name or call_step.name, channel=channel, stage=4, element=element,
            purpose=v.RELATIONSHIP, status=status, due_at=due_at, local_date=local.date(),
            local_time=local.time(), assigned_to=who, priority=priority,
        )

    return make
