"""Migration 0007: rows made before repeats were planned one ahead keep only their earliest
open occurrence; the rest are cancelled as no longer in the plan."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tokens import new_public_id
from followthrough.touchpoints.models import Reason, Status
from followthrough.touchpoints.planning import plan_engagement
from tests.touchpoints.test_planning_intent import soon

migration = importlib.import_module(
    "followthrough.touchpoints.migrations.0007_keep_one_repeat_occurrence_open")

pytestmark = pytest.mark.django_db


@pytest.fixture
def updates(business):
    service, _ = install_builtin_playbooks(business)
    customer = Customer.objects.create(business=business, name="Jamie", email="j@example.com")
    won = soon()
    engagement = Engagement.objects.create(business=business, customer=customer,
                                           playbook=service, won_at=won, started_at=won)
    plan_engagement(engagement, now=won)
    first = engagement.touchpoints.get(name="Progress update")
    for occurrence in (1, 2, 3):  # what the old planner left: weeks of drafts ahead
        first.pk, first.id = None, None
        first.occurrence = occurrence
        first.public_id, first.link_token = new_public_id(), new_public_id()
        first.idempotency_key = f"{engagement.public_id}:{first.step_id}:{occurrence}"
        first.due_at += dt.timedelta(days=7)
        first.save(force_insert=True)
    return engagement.touchpoints.filter(name="Progress update").order_by("occurrence")


def test_it_keeps_only_the_earliest_open_occurrence_of_a_repeat(updates):
    migration.keep_one_open(apps, None)
    assert [(t.occurrence, t.status) for t in updates] == [
        (0, Status.DRAFT), (1, Status.CANCELLED), (2, Status.CANCELLED), (3, Status.CANCELLED)]
    assert {t.reason_code for t in updates[1:]} == {Reason.DROPPED_FROM_PLAN}


def test_it_keeps_the_next_occurrence_once_the_earlier_ones_ended(updates):
    updates.filter(occurrence=0).update(status=Status.SENT)
    migration.keep_one_open(apps, None)
    assert [(t.occurrence, t.status) for t in updates] == [
        (0, Status.SENT), (1, Status.DRAFT), (2, Status.CANCELLED), (3, Status.CANCELLED)]
