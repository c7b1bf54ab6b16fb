"""Consent is enforced when planning (and again by the worker at send time)."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import record_consent
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints.models import Status
from followthrough.touchpoints.planning import NO_CONSENT, plan_engagement


@pytest.fixture
def engagement(business):
    playbook = Playbook.objects.create(business=business, slug="offers", name="Offers")
    for purpose, channel in ((v.MARKETING, kinds.EMAIL), (v.RELATIONSHIP, kinds.EMAIL),
                             (v.MARKETING, kinds.CALL)):
        Step.objects.create(playbook=playbook, name=f"{purpose} {channel}", anchor=v.WON,
                            offset_days=3, channel=channel, element=v.OTHER, purpose=purpose,
                            subject="News", body="Hello {{ customer_first_name }}")
    customer = Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    return Engagement.objects.create(business=business, customer=customer, playbook=playbook,
                                     won_at=timezone.now() - dt.timedelta(hours=1))


def statuses(engagement):
    return {t.name: (t.status, t.moved_reason) for t in plan_engagement(engagement)}


def test_it_skips_marketing_email_without_a_grant_when_planning(engagement):
    plan = statuses(engagement)
    assert plan["marketing email"] == (Status.SKIPPED, NO_CONSENT)
    assert plan["relationship email"][0] == Status.PLANNED
    assert plan["marketing call"][0] == Status.PLANNED  # a person decides on personal touches


def test_it_brings_the_row_back_when_consent_arrives(engagement):
    statuses(engagement)
    record_consent(engagement.customer, kinds.EMAIL, v.MARKETING, granted=True, source="form")
    # Planned again (the call on the same day keeps its day, so the email moves for the cap).
    assert statuses(engagement)["marketing email"][0] == Status.PLANNED


def test_it_skips_a_planned_row_when_consent_is_withdrawn(engagement):
    statuses(engagement)
    record_consent(engagement.customer, kinds.EMAIL, v.RELATIONSHIP, granted=False,
                   source="unsubscribe")
    assert statuses(engagement)["relationship email"] == (Status.SKIPPED, NO_CONSENT)
