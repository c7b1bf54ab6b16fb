"""origin and reason_code are written by both planning paths and filled for old rows."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement, plan_new_engagements

fill = importlib.import_module(
    "followthrough.touchpoints.migrations.0006_fill_origin_reason_code").fill


@pytest.fixture
def playbook(business):
    playbook = Playbook.objects.create(business=business, slug="after", name="After")
    Step.objects.create(playbook=playbook, name="Thank you", anchor=v.WON, offset_days=1,
                        channel=kinds.EMAIL, element=v.THANK_YOU, purpose=v.RELATIONSHIP,
                        subject="Thanks", body="Hi")
    return playbook


def new_job(business, playbook, won_at=None, name="Jamie"):
    customer = Customer.objects.create(business=business, name=name, email="j@example.com")
    return Engagement.objects.create(business=business, customer=customer, playbook=playbook,
                                     won_at=won_at or timezone.now())


def test_it_writes_playbook_step_as_the_origin_of_bulk_rows(business, playbook):
    job = new_job(business, playbook)
    assert plan_new_engagements([job]) == 1
    assert job.touchpoints.get().origin == Origin.PLAYBOOK_STEP


def test_it_writes_the_same_reason_code_both_ways(business, playbook):
    long_ago = timezone.now() - dt.timedelta(days=60)
    one, two = new_job(business, playbook, long_ago), new_job(business, playbook, long_ago, "Bo")
    plan_engagement(one)
    plan_new_engagements([two])
    first, second = one.touchpoints.get(), two.touchpoints.get()
    assert (first.status, first.reason_code) == (Status.MISSED, Reason.CATCH_UP_MISSED)
    assert (second.status, second.reason_code) == (first.status, first.reason_code)


def old_row(job, key, step=None, **fields):
    now = timezone.now()
    return Touchpoint.objects.create(
        business=job.business, engagement=job, customer=job.customer, step=step,
        idempotency_key=key, name="Old", channel=kinds.CALL, stage=4, element=v.OTHER,
        purpose=v.RELATIONSHIP, due_at=now, local_date=now.date(), local_time=dt.time(10),
        origin=Origin.MANUAL, **fields)


@pytest.mark.parametrize(("prefix", "origin"), [
    ("maintenance:abc:1", Origin.MAINTENANCE), ("visit:abc:2026-06", Origin.VISIT),
    ("news:b1:abc", Origin.NEWS), ("incident:abc", Origin.INCIDENT_RECOVERY),
    ("ask:abc", Origin.FOLLOW_UP), ("referral:abc", Origin.REFERRAL),
    ("something-else", Origin.MANUAL),
])
def test_it_fills_the_origin_of_old_rows_from_their_key(business, playbook, prefix, origin):
    row = old_row(new_job(business, playbook), prefix)
    fill(apps, None)
    row.refresh_from_db()
    assert row.origin == origin


def test_it_fills_playbook_step_for_old_rows_with_and_without_their_step(business, playbook):
    job = new_job(business, playbook)
    step = playbook.steps.get()
    kept = old_row(job, f"{job.public_id}:{step.public_id}:0", step=step)
    deleted = old_row(job, f"{job.public_id}:gone:0")
    fill(apps, None)
    kept.refresh_from_db()
    deleted.refresh_from_db()
    assert (kept.origin, deleted.origin) == (Origin.PLAYBOOK_STEP, Origin.PLAYBOOK_STEP)


@pytest.mark.parametrize(("words", "status", "code"), [
    ("no longer in the plan", Status.CANCELLED, Reason.DROPPED_FROM_PLAN),
    ("no consent", Status.SKIPPED, Reason.NO_CONSENT),
    ("snoozed to 2026-06-01 09:00", Status.PLANNED, Reason.SNOOZED),
    ("snoozed: no answer, trying again Mon 01 Jun 10:00", Status.PLANNED, Reason.NO_ANSWER),
    ("quiet hours; moved to 08:00", Status.PLANNED, Reason.QUIET_HOURS),
    ("outside business hours; moved to Mon 09:00; frequency cap: one contact per 2 days",
     Status.PLANNED, Reason.FREQUENCY_CAP),
    ("", Status.MISSED, Reason.CATCH_UP_MISSED),
    ("", Status.PLANNED, Reason.NONE),
])
def test_it_fills_the_reason_code_of_old_rows_from_their_words(business, playbook, words,
                                                                status, code):
    row = old_row(new_job(business, playbook), "k", moved_reason=words, status=status)
    fill(apps, None)
    row.refresh_from_db()
    assert row.reason_code == code
