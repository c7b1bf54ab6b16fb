"""The engagement lifecycle and agenda actions: validation names the field, nothing is
half-saved, and only planned touchpoints change."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Status, Touchpoint


@pytest.fixture
def service_job(business):
    return install_builtin_playbooks(business)[0]


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Jamie Rivera",
                                   email="jamie@example.com")


def won_recently():
    return timezone.now() - dt.timedelta(hours=1)


def create(business, customer, playbook, **fields):
    fields.setdefault("won_at", won_recently())
    return services.create_engagement(
        business, customer, playbook, kind="Job", description="New water heater", value="450",
        **fields,
    )


@pytest.fixture
def job(business, customer, service_job):
    return create(business, customer, service_job)


def field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


def touch(job, name):
    return job.touchpoints.get(name=name)


def test_it_saves_and_plans_a_new_engagement(job):
    assert Engagement.objects.filter(pk=job.pk).exists()
    assert set(job.touchpoints.values_list("name", flat=True)) == {
        "Thank-you call", "Before we start"}


def test_it_rejects_delivered_before_won_and_saves_nothing(business, customer, service_job):
    won = won_recently()
    with pytest.raises(ValidationError) as excinfo:
        create(business, customer, service_job, won_at=won,
               delivered_at=won - dt.timedelta(days=1))
    assert "delivered_at" in field_errors(excinfo)
    assert not Engagement.objects.exists()
    assert not Touchpoint.objects.exists()


def test_it_requires_a_won_date(business, customer, service_job):
    with pytest.raises(ValidationError) as excinfo:
        create(business, customer, service_job, won_at=None)
    assert "won_at" in field_errors(excinfo)


def test_it_rejects_a_time_without_a_zone(business, customer, service_job):
    with pytest.raises(ValidationError) as excinfo:
        create(business, customer, service_job, won_at=dt.datetime(2026, 6, 1, 9, 0))
    assert "won_at" in field_errors(excinfo)


def test_it_rejects_an_oversized_description(business, customer, service_job):
    with pytest.raises(ValidationError) as excinfo:
        services.create_engagement(business, customer, service_job, kind="Job",
                                   description="x" * 301, value=None, won_at=won_recently())
    assert "description" in field_errors(excinfo)
    assert not Engagement.objects.exists()


def test_it_rejects_a_value_that_is_not_a_number(business, customer, service_job):
    with pytest.raises(ValidationError) as excinfo:
        services.create_engagement(business, customer, service_job, kind="Job",
                                   description="", value="lots", won_at=won_recently())
    assert "value" in field_errors(excinfo)


def test_it_rejects_a_customer_of_another_business(other_business, customer, service_job):
    with pytest.raises(ValidationError) as excinfo:
        create(other_business, customer, service_job)
    assert "customer" in field_errors(excinfo)
    assert not Engagement.objects.exists()


def test_it_rejects_a_playbook_of_another_business(business, customer, other_business):
    theirs = install_builtin_playbooks(other_business)[0]
    with pytest.raises(ValidationError) as excinfo:
        create(business, customer, theirs)
    assert "playbook" in field_errors(excinfo)


def test_it_rejects_a_switched_off_playbook(business, customer, service_job):
    service_job.is_active = False
    service_job.save()
    with pytest.raises(ValidationError) as excinfo:
        create(business, customer, service_job)
    assert "playbook" in field_errors(excinfo)


def test_it_records_delivery_and_plans_the_after_steps(job):
    services.record_event(job, "delivered", timezone.now())
    assert job.touchpoints.filter(name="Quality check-in call", status=Status.PLANNED).exists()


def test_it_rejects_an_event_before_won_and_changes_nothing(job):
    before = set(job.touchpoints.values_list("pk", "due_at", "status"))
    with pytest.raises(ValidationError) as excinfo:
        services.record_event(job, "delivered", job.won_at - dt.timedelta(days=2))
    assert "delivered_at" in field_errors(excinfo)
    job.refresh_from_db()
    assert job.delivered_at is None
    assert set(job.touchpoints.values_list("pk", "due_at", "status")) == before


def test_it_rejects_an_unknown_event(job):
    with pytest.raises(ValidationError) as excinfo:
        services.record_event(job, "exploded", timezone.now())
    assert "event" in field_errors(excinfo)


def test_it_cancels_planned_touchpoints_when_the_engagement_is_cancelled(job):
    services.record_event(job, "cancelled", timezone.now())
    assert set(job.touchpoints.values_list("status", flat=True)) == {Status.CANCELLED}


def test_it_completes_a_call_with_its_outcome(job, owner):
    call = services.complete_touch(touch(job, "Thank-you call"), owner, "Happy, wants a quote")
    assert (call.status, call.outcome_note) == (Status.DONE, "Happy, wants a quote")
    assert call.completed_at is not None


def test_it_refuses_to_complete_an_email(job, owner):
    with pytest.raises(ValidationError) as excinfo:
        services.complete_touch(touch(job, "Before we start"), owner, "")
    assert "channel" in field_errors(excinfo)


def test_it_skips_a_touch_with_a_note(job, owner):
    call = services.skip_touch(touch(job, "Thank-you call"), owner, "Asked not to be called")
    assert (call.status, call.outcome_note) == (Status.SKIPPED, "Asked not to be called")


def test_it_cancels_an_upcoming_email(job, owner):
    email = services.cancel_touch(touch(job, "Before we start"), owner)
    assert email.status == Status.CANCELLED


def test_it_snoozes_a_touch_and_keeps_it_planned(job):
    until = timezone.now() + dt.timedelta(days=3)
    call = services.snooze_touch(touch(job, "Thank-you call"), until)
    assert (call.status, call.due_at) == (Status.PLANNED, until)


def test_it_keeps_a_snoozed_time_when_replanning(job):
    until = timezone.now() + dt.timedelta(days=3)
    services.snooze_touch(touch(job, "Thank-you call"), until)
    services.record_event(job, "started", timezone.now())
    assert touch(job, "Thank-you call").due_at == until


def test_it_refuses_to_snooze_into_the_past(job):
    with pytest.raises(ValidationError) as excinfo:
        services.snooze_touch(touch(job, "Thank-you call"), timezone.now() - dt.timedelta(1))
    assert "until" in field_errors(excinfo)


def test_it_changes_only_planned_touchpoints(job, owner):
    call = touch(job, "Thank-you call")
    services.complete_touch(call, owner, "Done")
    with pytest.raises(ValidationError) as excinfo:
        services.skip_touch(call, owner, "again")
    assert "status" in field_errors(excinfo)
    call.refresh_from_db()
    assert (call.status, call.outcome_note) == (Status.DONE, "Done")


def test_it_rejects_an_oversized_outcome_note_and_changes_nothing(job, owner):
    call = touch(job, "Thank-you call")
    with pytest.raises(ValidationError) as excinfo:
        services.complete_touch(call, owner, "x" * 2001)
    assert "outcome_note" in field_errors(excinfo)
    call.refresh_from_db()
    assert call.status == Status.PLANNED
