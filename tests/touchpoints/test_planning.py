"""Planning sync: the planner's output written to Touchpoint rows, and the bulk path."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement, plan_new_engagements

NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
WON = dt.datetime(2026, 6, 1, 14, 0, tzinfo=NEW_YORK)  # a Monday


@pytest.fixture
def playbooks(business):
    service, product = install_builtin_playbooks(business)
    return {"service": service, "product": product}


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Jamie Rivera",
                                   email="jamie@example.com")


def engagement_for(customer, playbook, **dates):
    return Engagement.objects.create(
        business=customer.business, customer=customer, playbook=playbook,
        description="New water heater", won_at=dates.pop("won_at", WON), **dates,
    )


@pytest.fixture
def job(customer, playbooks):
    return engagement_for(customer, playbooks["service"])


def rows(engagement):
    return {t.step.name: t for t in engagement.touchpoints.select_related("step")}


def test_it_creates_rows_for_the_steps_whose_anchor_has_a_date(job):
    plan_engagement(job, now=NOW)
    assert set(rows(job)) == {"Thank-you call", "Before we start"}


def test_it_fills_the_touchpoint_from_the_step_and_the_plan(job, business):
    plan_engagement(job, now=NOW)
    call = rows(job)["Thank-you call"]
    assert (call.business, call.customer, call.channel, call.stage) == (
        business, job.customer, "call", 1)
    assert (call.element, call.purpose, call.status) == ("thank_you", "relationship", "planned")
    assert call.idempotency_key == f"{job.public_id}:{call.step.public_id}:0"
    assert (call.local_date, call.local_time) == (dt.date(2026, 6, 2), dt.time(10))
    assert call.due_at == dt.datetime(2026, 6, 2, 14, 0, tzinfo=dt.UTC)


def test_it_never_duplicates_when_run_twice(job):
    first = plan_engagement(job, now=NOW)
    second = plan_engagement(job, now=NOW)
    assert [t.pk for t in first] == [t.pk for t in second]
    assert Touchpoint.objects.count() == 2


def test_it_moves_planned_rows_when_a_date_changes(job):
    plan_engagement(job, now=NOW)
    job.won_at = WON + dt.timedelta(days=1)
    job.save()
    plan_engagement(job, now=NOW)
    assert rows(job)["Thank-you call"].local_date == dt.date(2026, 6, 3)


def test_it_never_moves_a_sent_row(job):
    plan_engagement(job, now=NOW)
    email = rows(job)["Before we start"]
    Touchpoint.objects.filter(pk=email.pk).update(status=Status.SENT)
    job.won_at = WON + dt.timedelta(days=3)
    job.save()
    plan_engagement(job, now=NOW)
    sent_at = email.due_at
    email.refresh_from_db()
    assert (email.status, email.due_at) == (Status.SENT, sent_at)


def test_it_never_touches_a_done_row_that_left_the_plan(job):
    plan_engagement(job, now=NOW)
    call = rows(job)["Thank-you call"]
    Touchpoint.objects.filter(pk=call.pk).update(status=Status.DONE)
    job.playbook = None
    job.save()
    plan_engagement(job, now=NOW)
    call.refresh_from_db()
    assert call.status == Status.DONE


def test_it_does_not_recreate_a_row_a_person_cancelled(job):
    plan_engagement(job, now=NOW)
    email = rows(job)["Before we start"]
    Touchpoint.objects.filter(pk=email.pk).update(status=Status.CANCELLED)
    plan_engagement(job, now=NOW)
    assert job.touchpoints.filter(step=email.step).count() == 1
    assert job.touchpoints.get(step=email.step).status == Status.CANCELLED


def test_it_cancels_planned_rows_of_a_cancelled_engagement(job):
    plan_engagement(job, now=NOW)
    call = rows(job)["Thank-you call"]
    Touchpoint.objects.filter(pk=call.pk).update(status=Status.DONE)
    job.cancelled_at = WON + dt.timedelta(hours=1)
    job.save()
    plan_engagement(job, now=NOW)
    statuses = {t.step.name: t.status for t in rows(job).values()}
    assert statuses == {"Thank-you call": Status.DONE, "Before we start": Status.CANCELLED}


def test_it_brings_back_rows_when_a_date_set_by_mistake_is_cleared_and_set_again(job):
    job.delivered_at = WON + dt.timedelta(days=3)
    job.save()
    plan_engagement(job, now=NOW)
    job.delivered_at = None
    job.save()
    plan_engagement(job, now=NOW)
    assert rows(job)["Quality check-in call"].status == Status.CANCELLED
    job.delivered_at = WON + dt.timedelta(days=4)
    job.save()
    plan_engagement(job, now=NOW)
    call = rows(job)["Quality check-in call"]
    assert (call.local_date, call.status) == (dt.date(2026, 6, 6), Status.PLANNED)


def test_it_plans_again_when_a_cancellation_is_undone(job):
    plan_engagement(job, now=NOW)
    job.cancelled_at = WON + dt.timedelta(hours=1)
    job.save()
    plan_engagement(job, now=NOW)
    plan_engagement(job, now=NOW)
    assert {t.status for t in rows(job).values()} == {Status.CANCELLED}
    job.cancelled_at = None
    job.save()
    plan_engagement(job, now=NOW)
    assert {t.status for t in rows(job).values()} == {Status.PLANNED}


def test_it_plans_delivered_steps_once_delivered_is_set(job):
    plan_engagement(job, now=NOW)
    job.delivered_at = WON + dt.timedelta(days=3)
    job.save()
    plan_engagement(job, now=NOW)
    call = rows(job)["Quality check-in call"]
    assert (call.local_date, call.status) == (dt.date(2026, 6, 5), Status.PLANNED)


def test_it_cancels_repeats_after_the_until_event(job):
    job.started_at = WON
    job.save()
    plan_engagement(job, now=NOW)
    # Repeats are planned one ahead: the next one comes when this one ends.
    assert job.touchpoints.filter(step__name="How is it going?").count() == 1
    job.delivered_at = WON + dt.timedelta(days=1)
    job.save()
    plan_engagement(job, now=NOW)
    checks = job.touchpoints.filter(step__name="How is it going?")
    assert [(t.occurrence, t.status) for t in checks] == [(0, Status.CANCELLED)]


def test_it_creates_no_touchpoints_without_a_playbook(customer):
    engagement = engagement_for(customer, None)
    assert plan_engagement(engagement, now=NOW) == []


def test_it_stores_steps_already_past_the_catch_up_window_as_missed(job):
    plan_engagement(job, now=NOW + dt.timedelta(days=5))
    assert {t.status for t in job.touchpoints.all()} == {Status.MISSED}


def test_it_keeps_messages_of_two_engagements_apart(customer, playbooks, business):
    first = engagement_for(customer, playbooks["service"])
    second = engagement_for(customer, playbooks["service"])
    plan_engagement(first, now=NOW)
    plan_engagement(second, now=NOW)
    [a] = first.touchpoints.filter(channel="email")
    [b] = second.touchpoints.filter(channel="email")
    assert b.due_at - a.due_at == dt.timedelta(days=business.frequency_cap_days)
    assert "frequency cap" in b.moved_reason


def test_it_bulk_plans_the_same_rows_as_one_by_one(customer, playbooks):
    dates = {"started_at": WON, "delivered_at": WON + dt.timedelta(days=8)}
    single = engagement_for(customer, playbooks["product"], **dates)
    plan_engagement(single, now=NOW)
    other = Customer.objects.create(business=customer.business, name="Alex")
    bulk = engagement_for(other, playbooks["product"], **dates)
    written = plan_new_engagements([bulk], now=NOW)

    def shape(engagement):
        return [(t.step_id, t.occurrence, t.due_at, t.local_date, t.local_time, t.status,
                 t.moved_reason, t.name, t.channel) for t in engagement.touchpoints.all()]

    assert written == single.touchpoints.count() == 9
    assert shape(bulk) == shape(single)
    assert bulk.touchpoints.first().idempotency_key.startswith(bulk.public_id + ":")


def test_it_never_duplicates_in_bulk(job):
    plan_new_engagements([job], now=NOW)
    assert plan_new_engagements([job], now=NOW) == 0
    assert job.touchpoints.count() == 2


def test_it_writes_only_the_missing_rows_when_some_keys_exist_in_bulk(job, customer, playbooks):
    plan_new_engagements([job], now=NOW)
    other = engagement_for(customer, playbooks["product"])
    written = plan_new_engagements([job, other], now=NOW)
    assert written == other.touchpoints.count() > 0
    assert job.touchpoints.count() == 2


def test_it_bulk_plans_a_queryset_as_it_plans_a_list(customer, playbooks):
    dates = {"started_at": WON, "delivered_at": WON + dt.timedelta(days=8)}
    listed = engagement_for(customer, playbooks["service"], **dates)
    plan_new_engagements([listed], now=NOW)
    other = Customer.objects.create(business=customer.business, name="Alex")
    queried = engagement_for(other, playbooks["service"], **dates)
    engagement_for(other, playbooks["service"], cancelled_at=WON)
    plan_new_engagements(Engagement.objects.filter(customer=other), now=NOW)

    def shape(engagement):
        return [(t.step_id, t.occurrence, t.due_at, t.status, t.moved_reason)
                for t in engagement.touchpoints.order_by("due_at", "step_id")]

    assert shape(queried) == shape(listed)
    assert Touchpoint.objects.filter(customer=other).count() == len(shape(listed))


def test_it_applies_the_frequency_cap_across_engagements_in_one_bulk_run(customer, playbooks):
    first = engagement_for(customer, playbooks["service"])
    second = engagement_for(customer, playbooks["service"])
    plan_new_engagements([first, second], now=NOW)
    [a] = first.touchpoints.filter(channel="email")
    [b] = second.touchpoints.filter(channel="email")
    assert b.due_at - a.due_at == dt.timedelta(days=2)


def test_it_skips_cancelled_engagements_in_bulk(job):
    job.cancelled_at = WON
    job.save()
    assert plan_new_engagements([job], now=NOW) == 0


# The contact-pressure budget, read from the business and the customer.

def test_it_counts_the_thank_you_call_toward_the_cap_by_default(job, business):
    plan_engagement(job, now=NOW)
    found = rows(job)
    call, email = found["Thank-you call"], found["Before we start"]
    assert email.due_at - call.due_at == dt.timedelta(days=business.frequency_cap_days)
    assert "frequency cap" in email.moved_reason


def test_it_leaves_calls_out_of_the_cap_when_the_business_turns_it_off(job, business):
    business.cap_includes_personal = False
    business.save()
    plan_engagement(job, now=NOW)
    assert rows(job)["Before we start"].moved_reason == ""


def test_it_counts_a_done_call_of_another_job_toward_the_cap(customer, playbooks):
    first = engagement_for(customer, playbooks["service"])
    plan_engagement(first, now=NOW)
    Touchpoint.objects.filter(engagement=first).exclude(channel="call").update(
        status=Status.CANCELLED)
    first.touchpoints.filter(channel="call").update(status=Status.DONE)
    second = engagement_for(customer, playbooks["service"])
    plan_engagement(second, now=NOW)
    [call] = first.touchpoints.filter(channel="call")
    second_call = second.touchpoints.get(channel="call")
    assert second_call.due_at - call.due_at >= dt.timedelta(days=2)


def test_it_calls_a_customer_abroad_in_their_own_call_hours(customer, playbooks, business):
    customer.timezone = "Asia/Tokyo"
    customer.save()
    business.call_window_start, business.call_window_end = dt.time(9), dt.time(20)
    business.save()
    job = engagement_for(customer, playbooks["service"])
    plan_engagement(job, now=NOW)
    call = rows(job)["Thank-you call"]
    assert dt.time(9) <= call.due_at.astimezone(ZoneInfo("Asia/Tokyo")).time() < dt.time(20)
    assert call.status == Status.PLANNED


def test_it_bulk_plans_a_customer_abroad_like_one_by_one(customer, playbooks):
    for person in (customer, Customer.objects.create(business=customer.business, name="Alex",
                                                     timezone="Europe/London")):
        person.timezone = "Europe/London"
        person.save()
    single = engagement_for(customer, playbooks["service"])
    plan_engagement(single, now=NOW)
    other = Customer.objects.get(name="Alex")
    bulk = engagement_for(other, playbooks["service"])
    plan_new_engagements([bulk], now=NOW)

    def shape(engagement):
        return [(t.step_id, t.due_at, t.moved_reason) for t in engagement.touchpoints.all()]

    assert shape(bulk) == shape(single)


def test_it_caches_bulk_plans_per_customer_zone(customer, playbooks):
    abroad = Customer.objects.create(business=customer.business, name="Kenji",
                                     timezone="Asia/Tokyo")
    home = engagement_for(customer, playbooks["service"])
    away = engagement_for(abroad, playbooks["service"])
    plan_new_engagements([home, away], now=NOW)
    assert home.touchpoints.get(channel="call").due_at != away.touchpoints.get(
        channel="call").due_at


def test_it_drafts_progress_updates_for_approval_until_delivery(job):
    job.started_at = WON
    job.save()
    plan_engagement(job, now=NOW)
    updates = job.touchpoints.filter(step__name="Progress update")
    assert {t.status for t in updates} == {Status.DRAFT}
    job.delivered_at = WON + dt.timedelta(days=10)
    job.save()
    plan_engagement(job, now=NOW)
    waiting = job.touchpoints.filter(step__name="Progress update", status=Status.DRAFT)
    assert [(t.local_date, t.element, t.stage) for t in waiting] == [
        (dt.date(2026, 6, 6), "progress_update", 3)]
