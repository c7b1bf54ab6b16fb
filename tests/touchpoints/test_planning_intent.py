"""Plans keep each step's intent in the database too: the job page says why a touch was
skipped, an open incident holds back the tactless asks (never the review ask), a skipped
touch gives its cap slot back, and a repeat gets its next occurrence once one is sent."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough import events
from followthrough.agenda.services import skip_draft
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident
from followthrough.feedback.services import open_incident, resolve_incident
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Reason, Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement, replan_after
from followthrough.touchpoints.services import skip_touch

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def books(business):
    service, product = install_builtin_playbooks(business)
    return {"service": service, "product": product}


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Jamie Rivera",
                                   email="jamie@example.com")


def job(customer, playbook, *, won, started=None, delivered=None) -> Engagement:
    engagement = Engagement.objects.create(
        business=customer.business, customer=customer, playbook=playbook, won_at=won,
        started_at=started, delivered_at=delivered)
    plan_engagement(engagement, now=won)
    return engagement


def soon() -> dt.datetime:
    """Next Monday 08:00 in New York: everything in the plan is still to come."""
    today = dt.datetime.now(NEW_YORK).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(8), NEW_YORK)


def row(engagement, name) -> Touchpoint:
    return engagement.touchpoints.get(name=name, occurrence=0)


def test_it_says_on_the_job_page_that_a_step_was_skipped_because_the_job_started(
        owner_client, books, customer):
    won = soon()
    engagement = job(customer, books["service"], won=won, started=won, delivered=won)
    before = row(engagement, "Before we start")
    assert (before.status, before.reason_code) == (Status.SKIPPED, Reason.JOB_STARTED)
    page = owner_client.get(reverse("engagement_detail", args=[engagement.public_id]))
    assert "Skipped: the job had already started" in page.content.decode()


def test_it_holds_the_referral_ask_while_an_incident_is_open(
        books, customer, django_capture_on_commit_callbacks):
    won = soon()
    engagement = job(customer, books["service"], won=won, started=won, delivered=won)
    with django_capture_on_commit_callbacks(execute=True):
        open_incident(customer, engagement, Incident.COMPLAINT, "Left a mess")
    referral = row(engagement, "Referral ask")
    assert (referral.status, referral.reason_code) == (Status.SKIPPED, Reason.INCIDENT_OPEN)
    assert referral.moved_reason == "held back while a complaint is open"


def test_it_brings_the_referral_ask_back_once_the_incident_is_resolved(
        books, customer, django_capture_on_commit_callbacks):
    won = soon()
    engagement = job(customer, books["service"], won=won, started=won, delivered=won)
    planned_at = row(engagement, "Referral ask").due_at
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(customer, engagement, Incident.COMPLAINT, "Left a mess")
    with django_capture_on_commit_callbacks(execute=True):
        resolve_incident(incident, "Came back and cleaned up")
    referral = row(engagement, "Referral ask")
    assert (referral.status, referral.due_at) == (Status.PLANNED, planned_at)


def test_it_gives_a_detractor_with_an_open_incident_the_same_review_ask(
        books, customer, django_capture_on_commit_callbacks):
    won = soon()
    engagement = job(customer, books["service"], won=won, started=won, delivered=won)
    fields = ("status", "due_at", "reason_code", "moved_reason", "name")
    calm = engagement.touchpoints.filter(name="Review request").values(*fields).get()
    with django_capture_on_commit_callbacks(execute=True):
        open_incident(customer, engagement, Incident.NPS, "Scored us 2")
    assert engagement.touchpoints.filter(name="Review request").values(*fields).get() == calm


def test_it_moves_a_touch_back_once_the_touch_that_pushed_it_is_skipped(books, customer):
    won = soon()
    engagement = job(customer, books["product"], won=won)
    # The same-day card keeps its day; the walk-through call's neighbours move around it.
    card = row(engagement, "Hand-written thank-you card")
    assert card.due_at.astimezone(NEW_YORK).time() == dt.time(11)
    engagement.delivered_at = won
    engagement.save()
    plan_engagement(engagement, now=won)
    tips = row(engagement, "Getting started tips")
    assert tips.reason_code == Reason.FREQUENCY_CAP
    pushed_to = tips.due_at
    call = row(engagement, "Walk-through call")
    Touchpoint.objects.filter(pk=call.pk).update(status=Status.SKIPPED,
                                                 reason_code=Reason.BY_PERSON)
    replan_after(call)
    tips.refresh_from_db()
    # Back as early as the card's two days allow, no longer behind the skipped call.
    assert tips.due_at < pushed_to
    assert tips.due_at == card.due_at + dt.timedelta(days=2)


def test_it_plans_the_next_progress_update_once_the_last_one_was_sent(books, customer):
    won = soon()
    engagement = job(customer, books["service"], won=won, started=won)
    updates = engagement.touchpoints.filter(name="Progress update")
    assert [(t.occurrence, t.status) for t in updates] == [(0, Status.DRAFT)]
    first = updates.get()
    Touchpoint.objects.filter(pk=first.pk).update(status=Status.SENT)
    events.domain_event.send(sender=None, business=customer.business,
                             name=events.TOUCHPOINT_SENT,
                             payloads=[{"touchpoint": first.public_id}])
    assert [(t.occurrence, t.status) for t in updates.order_by("occurrence")] == [
        (0, Status.SENT), (1, Status.DRAFT)]


def test_it_counts_only_what_is_still_to_come_when_a_back_dated_job_is_saved(
        owner_client, business, books):
    won = dt.datetime.now(NEW_YORK) - dt.timedelta(days=14)
    response = owner_client.post("/customers/sales/new/", {
        "customer": "", "new_name": "Ada Lovelace", "new_email": "ada@example.com",
        "playbook": books["service"].public_id, "kind": "Job", "description": "Boiler",
        "won_at": won.strftime("%Y-%m-%dT%H:%M"),
        "started_at": (won + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "delivered_at": (won + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }, follow=True)
    assert "3 touches planned; 6 already missed; 1 skipped, see why on the plan." in (
        response.text)


def test_it_replans_once_a_person_skips_the_touch_that_pushed_another(
        books, customer, owner, django_capture_on_commit_callbacks):
    won = soon()
    engagement = job(customer, books["product"], won=won, delivered=won)
    tips = row(engagement, "Getting started tips")
    pushed_to = tips.due_at
    with django_capture_on_commit_callbacks(execute=True):
        skip_touch(row(engagement, "Walk-through call"), owner, "They know the product")
    tips.refresh_from_db()
    assert tips.due_at < pushed_to


def test_it_drafts_the_next_progress_update_once_one_is_skipped_on_today(
        books, customer, owner, django_capture_on_commit_callbacks):
    won = soon()
    engagement = job(customer, books["service"], won=won, started=won)
    updates = engagement.touchpoints.filter(name="Progress update").order_by("occurrence")
    with django_capture_on_commit_callbacks(execute=True):
        skip_draft(updates.get(), owner, "Nothing new this week")
    assert [(t.occurrence, t.status) for t in updates] == [
        (0, Status.SKIPPED), (1, Status.DRAFT)]


def test_it_drafts_the_next_progress_update_once_the_worker_finds_one_too_late(
        books, customer):
    won = dt.datetime.now(NEW_YORK) - dt.timedelta(days=12)
    engagement = job(customer, books["service"], won=won, started=won)
    updates = engagement.touchpoints.filter(name="Progress update").order_by("occurrence")
    first = updates.get()
    # Approved, then left: the worker comes back to it days after its catch-up window.
    Touchpoint.objects.filter(pk=first.pk).update(
        status=Status.PLANNED, due_at=timezone.now() - dt.timedelta(days=6))
    worker.run_once()
    assert [(t.occurrence, t.status) for t in updates] == [
        (0, Status.MISSED), (1, Status.DRAFT)]
