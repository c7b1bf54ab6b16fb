"""Cancelling a job ends its playbook rows, its survey follow-ups and its own maintenance
reminders; what is about the customer (a recovery call, a visit, news, a referral
thank-you) stays, and other jobs are never touched."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.customers.models import Customer
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Origin, Reason, Status
from tests.touchpoints.test_lifecycle_origins import MAKERS, job, maintenance  # noqa: F401

ENDS = {Origin.FOLLOW_UP, Origin.MAINTENANCE}


@pytest.mark.parametrize("origin", sorted(set(MAKERS) - ENDS))
def test_it_keeps_what_is_about_the_customer(job, origin):  # noqa: F811
    row = MAKERS[origin](job)
    services.record_event(job, v.CANCELLED, timezone.now())
    row.refresh_from_db()
    assert row.status == Status.PLANNED


@pytest.mark.parametrize("origin", sorted(ENDS))
def test_it_ends_what_belongs_to_the_job(job, origin):  # noqa: F811
    row = MAKERS[origin](job)
    services.record_event(job, v.CANCELLED, timezone.now())
    row.refresh_from_db()
    assert (row.status, row.reason_code) == (Status.CANCELLED, Reason.ENGAGEMENT_CANCELLED)


def test_it_ends_the_playbook_rows(job):  # noqa: F811
    services.record_event(job, v.CANCELLED, timezone.now())
    codes = set(job.touchpoints.filter(origin=Origin.PLAYBOOK_STEP)
                .values_list("status", "reason_code"))
    assert (Status.PLANNED, Reason.NONE) not in codes
    assert (Status.CANCELLED, Reason.DROPPED_FROM_PLAN) in codes


def test_it_never_touches_another_jobs_reminders(job):  # noqa: F811
    other = Customer.objects.create(business=job.business, name="Lee", email="l@example.com")
    now = timezone.now()
    second = services.create_engagement(job.business, other, None, kind="Job",
                                        description="Boiler", won_at=now - dt.timedelta(days=3),
                                        delivered_at=now)
    theirs = maintenance(second)
    services.record_event(job, v.CANCELLED, now)
    theirs.refresh_from_db()
    assert theirs.status == Status.PLANNED
