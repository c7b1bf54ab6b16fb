"""Hand-built rows for the insight tests: engagements and touchpoints made directly, with no
planner, so each test knows exactly which rows exist."""

import datetime as dt
import itertools

from hypothesis import HealthCheck, settings

from followthrough import vocabulary as v
from followthrough.customers.models import Customer, Engagement
from followthrough.touchpoints.models import Touchpoint

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
_seq = itertools.count()
# The property tests: each example builds a business inside the test's transaction.
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def customer(business, name="Jamie Rivera", **fields) -> Customer:
    return Customer.objects.create(business=business, name=name, **fields)


def engagement(business, who, *, won=30, delivered=None, cancelled=None) -> Engagement:
    return Engagement.objects.create(
        business=business, customer=who, won_at=days_ago(won),
        delivered_at=days_ago(delivered) if delivered is not None else None,
        cancelled_at=days_ago(cancelled) if cancelled is not None else None,
    )


def touch(eng, element, status="sent", *, stage=4, due=10, completed=None,
          channel="email") -> Touchpoint:
    n = next(_seq)
    due_at = days_ago(due)
    return Touchpoint.objects.create(
        business_id=eng.business_id, engagement=eng, customer_id=eng.customer_id,
        idempotency_key=f"test:{n}", name=element, channel=channel, stage=stage,
        element=element, purpose=v.RELATIONSHIP, status=status, due_at=due_at,
        local_date=due_at.date(), local_time=due_at.time(),
        completed_at=days_ago(completed) if completed is not None else None,
    )
