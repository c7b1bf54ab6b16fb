"""Feedback test data: a delivered job with a sent feedback email, built with the ORM."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.touchpoints.models import Status, Touchpoint
from tests.smtp import running_sink


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Jamie O'Brien",
                                   email="jamie@customer.example", phone="+15185550100")


@pytest.fixture
def engagement(business, customer):
    now = timezone.now()
    return Engagement.objects.create(business=business, customer=customer, kind="Job",
                                     description="a new water heater",
                                     won_at=now - dt.timedelta(days=10),
                                     delivered_at=now - dt.timedelta(days=5))


def make_touch(engagement, element=v.FEEDBACK, purpose=v.RELATIONSHIP, channel=kinds.EMAIL,
               status=Status.SENT, sent=None, key=None):
    sent = sent or timezone.now() - dt.timedelta(hours=1)
    return Touchpoint.objects.create(
        business=engagement.business, engagement=engagement, customer=engagement.customer,
        idempotency_key=key or f"{engagement.public_id}:{element}:{purpose}:{status}",
        name=element, channel=channel, stage=4, element=element, purpose=purpose,
        status=status, due_at=sent, completed_at=sent if status == Status.SENT else None,
        local_date=sent.date(), local_time=dt.time(11, 0),
    )


@pytest.fixture
def survey_touch(engagement):
    return make_touch(engagement)
