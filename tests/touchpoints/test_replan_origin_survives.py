"""A replan reconciles the playbook's own rows and leaves every other origin alone.

Before `origin` existed, any planned row no step made (a reminder, a visit, a recovery
call, ...) was cancelled as "no longer in the plan" by the next replan of its engagement.
Each test here makes one row of each non-playbook origin and runs one thing that replans.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.playbooks import services as playbook_services
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints import lifecycle, services
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement

ORIGINS = sorted(Origin.NOT_PLAYBOOK)


@pytest.fixture
def playbook(business):
    playbook = Playbook.objects.create(business=business, slug="after", name="After a job")
    for position, (name, offset) in enumerate((("Thank you", 1), ("How is it going?", 5)), 1):
        Step.objects.create(
            playbook=playbook, position=position, name=name, anchor=v.WON, offset_days=offset,
            channel=kinds.EMAIL, element=v.THANK_YOU, purpose=v.RELATIONSHIP,
            subject="Thanks", body="Hi {{ customer_first_name }}",
        )
    return playbook


@pytest.fixture
def job(business, playbook):
    customer = Customer.objects.create(business=business, name="Jamie", email="j@example.com")
    return services.create_engagement(business, customer, playbook, kind="Job",
                                      description="Boiler", won_at=timezone.now())


def other_row(job, origin):
    """A planned row of `origin`, made as its own module would: no step, its own key."""
    due = timezone.now() + dt.timedelta(days=3)
    return lifecycle.create(
        origin=origin, business=job.business, engagement=job, customer=job.customer,
        idempotency_key=f"{origin}:{job.public_id}", name=f"A {origin} touch",
        channel=kinds.CALL, stage=4, element=v.OTHER, purpose=v.RELATIONSHIP, due_at=due,
        local_date=due.date(), local_time=dt.time(10), rendered_body="Talk it through.",
    )


def assert_untouched(row):
    before = (row.status, row.due_at, row.reason_code)
    row.refresh_from_db()
    assert (row.status, row.due_at, row.reason_code) == before
    assert row.status == Status.PLANNED


@pytest.mark.parametrize("origin", ORIGINS)
def test_it_keeps_the_row_when_a_step_is_saved_unchanged(job, origin,
                                                          django_capture_on_commit_callbacks):
    row = other_row(job, origin)
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.save_step(job.playbook.steps.first())
    assert_untouched(row)


@pytest.mark.parametrize("event", [v.STARTED, v.DELIVERED, v.CLOSED])
@pytest.mark.parametrize("origin", ORIGINS)
def test_it_keeps_the_row_through_a_lifecycle_event(job, origin, event):
    row = other_row(job, origin)
    services.record_event(job, event, timezone.now())
    assert_untouched(row)


@pytest.mark.parametrize("origin", ORIGINS)
def test_it_keeps_the_row_when_insights_adds_a_step(job, origin, owner_client,
                                                     django_capture_on_commit_callbacks):
    row = other_row(job, origin)
    url = reverse("playbook_add_element", args=[job.playbook.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, {"element": v.CHECK_IN})
    assert response.status_code == 302
    assert job.playbook.steps.filter(element=v.CHECK_IN).exists()
    assert_untouched(row)


@pytest.mark.parametrize("origin", ORIGINS)
def test_it_keeps_the_row_when_steps_are_reordered(job, origin,
                                                    django_capture_on_commit_callbacks):
    row = other_row(job, origin)
    with django_capture_on_commit_callbacks(execute=True):
        assert playbook_services.move_step(job.playbook.steps.first(), playbook_services.DOWN)
    assert_untouched(row)


@pytest.mark.parametrize("origin", ORIGINS)
def test_it_keeps_the_row_when_a_step_is_deleted(job, origin,
                                                  django_capture_on_commit_callbacks):
    row = other_row(job, origin)
    step = job.playbook.steps.first()
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.delete_step(step)
    assert_untouched(row)
    # The playbook's own rows of that step did go.
    assert not job.touchpoints.filter(origin=Origin.PLAYBOOK_STEP, step=None,
                                      status=Status.PLANNED).exists()


def test_it_still_cancels_the_playbook_rows_of_a_deleted_step(job,
                                                              django_capture_on_commit_callbacks):
    first = job.touchpoints.get(step__name="Thank you")
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.delete_step(first.step)
    first.refresh_from_db()
    assert (first.status, first.reason_code) == (Status.CANCELLED, Reason.DROPPED_FROM_PLAN)
    assert first.origin == Origin.PLAYBOOK_STEP


def test_it_marks_every_planned_row_as_a_playbook_step(job):
    assert set(job.touchpoints.values_list("origin", flat=True)) == {Origin.PLAYBOOK_STEP}


def test_it_brings_back_a_row_it_dropped_by_its_code(job):
    row = job.touchpoints.get(step__name="Thank you")
    Touchpoint.objects.filter(pk=row.pk).update(
        status=Status.CANCELLED, reason_code=Reason.DROPPED_FROM_PLAN, moved_reason="")
    plan_engagement(job)
    row.refresh_from_db()
    assert row.status == Status.PLANNED


def test_it_keeps_a_row_a_person_cancelled_whatever_its_words(job):
    row = job.touchpoints.get(step__name="Thank you")
    # The old words, but a person's code: the code decides, not the text.
    Touchpoint.objects.filter(pk=row.pk).update(
        status=Status.CANCELLED, reason_code=Reason.BY_PERSON,
        moved_reason="no longer in the plan")
    plan_engagement(job)
    row.refresh_from_db()
    assert row.status == Status.CANCELLED


def test_it_keeps_a_snoozed_time_by_its_code(job):
    row = job.touchpoints.get(step__name="Thank you")
    later = row.due_at + dt.timedelta(days=2)
    Touchpoint.objects.filter(pk=row.pk).update(due_at=later, reason_code=Reason.SNOOZED,
                                                moved_reason="put off for now")
    plan_engagement(job)
    row.refresh_from_db()
    assert row.due_at == later
