import datetime as dt

import pytest
from django.utils import timezone

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement

# FTS5's and tsquery's syntax, quotes, markup and other people's SQL: none may be a 500.
HOSTILE = [
    '"', '""', '"*', "*", "mar*", "NEAR", "NEAR(maria lopez)", "maria NEAR/2 lopez", "-maria",
    "name:maria", "{name email}:maria", "^maria", "maria OR lopez", "NOT maria", "AND",
    "(", ")", "a & b", "a | b", "!a", "a <-> b", "maria:*", "'", "''", "\\", "%", "_",
    "' OR 1=1 --", "<script>alert(1)</script>\"'&", "🙂", "ß", "\u202e", "+", "+-()",
    "x" * 5000, "maria " * 50,
]


@pytest.fixture
def maria(business):
    return Customer.objects.create(business=business, name="Maria Lopez",
                                   email="maria.lopez@example.com", phone="+442079460958",
                                   external_id="SHOP-1042")


@pytest.fixture
def boiler(business, maria):
    return Engagement.objects.create(business=business, customer=maria, kind="Job",
                                     description="Boiler service and flue check",
                                     external_id="ORDER-77", won_at=timezone.now())


@pytest.fixture
def promise(business, maria):
    return Promise.objects.create(business=business, customer=maria,
                                  what="Send the warranty papers",
                                  due_on=dt.date.today() + dt.timedelta(days=3))


@pytest.fixture
def elsewhere(other_business):
    """The same words in another business: never found from `business`."""
    other = Customer.objects.create(business=other_business, name="Maria Lopez",
                                    email="maria.lopez@example.com", phone="+442079460958")
    Engagement.objects.create(business=other_business, customer=other, kind="Job",
                              description="Boiler service", won_at=timezone.now())
    Promise.objects.create(business=other_business, customer=other, what="Send the warranty",
                           due_on=dt.date.today())
    return other
