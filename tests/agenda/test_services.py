"""Promises, approve-before-send and maintenance reminders."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followthrough import events
from followthrough.agenda import services
from followthrough.agenda.models import Promise, ServiceInterval
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import Engagement
from followthrough.playbooks.models import Step
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement

NY = ZoneInfo("America/New_York")


# Promises

def test_it_keeps_a_promise(business, customer, owner):
    promise = services.make_promise(business, customer, owner, "Send the manual",
                                    dt.date(2030, 1, 1))
    services.keep_promise(promise)
    assert promise.status == Promise.KEPT
    assert services.keeping_rate(business) == (1, 0, 100)


def test_it_needs_an_honest_note_to_break_a_promise(business, customer, owner):
    promise = services.make_promise(business, customer, owner, "Fit the part", dt.date(2030, 1, 1))
    with pytest.raises(ValidationError) as info:
        services.break_promise(promise, "  ", "10% off")
    assert "honest_note" in info.value.message_dict
    promise.refresh_from_db()
    assert promise.status == Promise.OPEN


def test_it_records_a_broken_promise_with_a_make_good(business, customer, owner):
    promise = services.make_promise(business, customer, owner, "Fit the part", dt.date(2030, 1, 1))
    services.break_promise(promise, "Rang to say sorry; part comes Friday.", "A free visit")
    assert (promise.status, promise.make_good) == (Promise.BROKEN, "A free visit")
    services.make_promise(business, customer, owner, "Call back", dt.date(2030, 1, 2))
    assert services.keeping_rate(business) == (0, 1, 0)


def test_it_names_the_field_of_a_bad_promise(business, customer, owner):
    with pytest.raises(ValidationError) as info:
        services.make_promise(business, customer, owner, "", None)
    assert {"what", "due_on"} <= set(info.value.message_dict)


def test_it_publishes_an_overdue_promise_once(business, customer, owner,
                                              django_capture_on_commit_callbacks):
    received = []

    def listen(sender, business, name, payloads, **kwargs):
        received.extend((name, payload["what"]) for payload in payloads)

    events.domain_event.connect(listen)
    try:
        services.make_promise(business, customer, owner, "Send the invoice",
                              timezone.localdate() - dt.timedelta(days=2))
        with django_capture_on_commit_callbacks(execute=True):
            services.publish_overdue_promises(business)
            services.publish_overdue_promises(business)
    finally:
        events.domain_event.disconnect(listen)
    assert received == [(events.PROMISE_OVERDUE, "Send the invoice")]


def test_it_keeps_promises_through_the_pages(owner_client, customer):
    response = owner_client.post("/promises/", {"customer": customer.public_id,
                                                "what": "Send photos", "due_on": "2030-05-01"})
    promise = Promise.objects.get()
    assert response.status_code == 302
    owner_client.post(f"/promises/{promise.public_id}/kept/")
    promise.refresh_from_db()
    assert promise.status == Promise.KEPT
    assert "100% kept" in owner_client.get("/promises/").text


def test_it_names_the_field_on_a_bad_promise_form(owner_client, customer):
    response = owner_client.post("/promises/", {"customer": customer.public_id, "what": "",
                                                "due_on": "soon"})
    assert "Say what you promised." in response.text
    assert "Give the date as YYYY-MM-DD." in response.text
    assert not Promise.objects.exists()


def test_it_breaks_a_promise_through_the_page(owner_client, business, customer):
    promise = Promise.objects.create(business=business, customer=customer, what="Call back",
                                     due_on=dt.date(2030, 1, 1))
    response = owner_client.post(f"/promises/{promise.public_id}/broken/", {"honest_note": ""})
    assert response.status_code == 400
    owner_client.post(f"/promises/{promise.public_id}/broken/",
                      {"honest_note": "Said sorry.", "make_good": "A gift card"})
    promise.refresh_from_db()
    assert promise.status == Promise.BROKEN


# Approve before send

@pytest.fixture
def approval_engagement(business, customer, call_step):
    Step.objects.create(playbook=call_step.playbook, name="Check-in email",
                        channel=kinds.EMAIL, subject="How is it going, {{ customer_first_name }}?",
                        body="Hi {{ customer_first_name }}, is it what you expected?",
                        offset_days=2, requires_approval=True)
    engagement = Engagement.objects.create(business=business, customer=customer,
                                           playbook=call_step.playbook, kind="Job",
                                           won_at=timezone.now())
    plan_engagement(engagement)
    return engagement


def test_it_plans_an_approval_step_as_a_draft(approval_engagement):
    draft = approval_engagement.touchpoints.get(channel=kinds.EMAIL)
    assert draft.status == Status.DRAFT


def test_it_keeps_a_draft_a_draft_when_replanning(approval_engagement):
    approval_engagement.started_at = timezone.now()
    approval_engagement.save()
    plan_engagement(approval_engagement)
    assert approval_engagement.touchpoints.get(channel=kinds.EMAIL).status == Status.DRAFT


def test_it_shows_drafts_on_today_and_approves_them(owner_client, approval_engagement):
    draft = approval_engagement.touchpoints.get(channel=kinds.EMAIL)
    assert f"/touches/{draft.public_id}/approve/" in owner_client.get("/today/").text
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "approve"})
    draft.refresh_from_db()
    assert draft.status == Status.PLANNED


def test_it_sends_the_edited_text_once_approved(owner_client, approval_engagement):
    draft = approval_engagement.touchpoints.get(channel=kinds.EMAIL)
    owner_client.post(f"/touches/{draft.public_id}/approve/",
                      {"subject": "Quick question", "body": "Hi Jamie, all good with the heater?"})
    draft.refresh_from_db()
    assert (draft.status, draft.rendered_subject) == (Status.PLANNED, "Quick question")
    assert draft.rendered_body == "Hi Jamie, all good with the heater?"


def test_it_refuses_an_empty_edit(owner_client, approval_engagement):
    draft = approval_engagement.touchpoints.get(channel=kinds.EMAIL)
    response = owner_client.post(f"/touches/{draft.public_id}/approve/",
                                 {"subject": "Hi", "body": ""})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert "Write the message, or skip it instead." in response.text


def test_it_skips_a_draft(owner_client, approval_engagement):
    draft = approval_engagement.touchpoints.get(channel=kinds.EMAIL)
    owner_client.post(f"/touches/{draft.public_id}/approve/", {"action": "skip"})
    draft.refresh_from_db()
    assert draft.status == Status.SKIPPED


# Maintenance reminders

@pytest.fixture
def delivered(business, customer, call_step):
    def make(delivered_at):
        return Engagement.objects.create(
            business=business, customer=customer, playbook=call_step.playbook, kind="Job",
            description="Boiler service", won_at=delivered_at - dt.timedelta(days=1),
            delivered_at=delivered_at,
        )
    return make


def test_it_plans_reminders_ahead_of_each_due_date(business, delivered):
    engagement = delivered(dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC))
    interval = ServiceInterval.objects.create(business=business, name="Filter change", every=3,
                                              unit="months", lead_days=7, channel=kinds.EMAIL)
    now = dt.datetime(2025, 1, 16, tzinfo=dt.UTC)
    plan = services.start_service_plan(engagement, interval, now)
    rows = list(Touchpoint.objects.filter(idempotency_key__startswith="maintenance:")
                .order_by("due_at"))
    assert [r.local_date for r in rows] == [dt.date(2025, 4, 8), dt.date(2025, 7, 8)]
    assert rows[0].idempotency_key == f"maintenance:{plan.public_id}:1"
    assert rows[0].step is None and "Filter change".lower() in rows[0].rendered_body


def test_it_keeps_ten_oclock_local_across_dst(business, delivered):
    # Delivered in winter (EST); reminders fall after the March switch (EDT) and back.
    engagement = delivered(dt.datetime(2025, 1, 20, 15, tzinfo=dt.UTC))
    interval = ServiceInterval.objects.create(business=business, name="Service", every=5,
                                              unit="months", lead_days=0, channel=kinds.CARD)
    services.start_service_plan(engagement, interval, dt.datetime(2025, 1, 21, tzinfo=dt.UTC))
    rows = Touchpoint.objects.filter(idempotency_key__startswith="maintenance:").order_by("due_at")
    local = [r.due_at.astimezone(NY) for r in rows]
    assert [d.time() for d in local] == [dt.time(10, 0), dt.time(10, 0)]
    assert [r.due_at.hour for r in rows] == [14, 15]  # 20 June is EDT, 20 November EST


def test_it_tops_up_and_never_duplicates(business, delivered):
    engagement = delivered(dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC))
    interval = ServiceInterval.objects.create(business=business, name="Reorder", every=6,
                                              unit="weeks", lead_days=3, channel=kinds.CALL)
    plan = services.start_service_plan(engagement, interval,
                                       dt.datetime(2025, 1, 16, tzinfo=dt.UTC))
    assert services.plan_reminders(plan, dt.datetime(2025, 1, 16, tzinfo=dt.UTC)) == 0
    # By April the first is past; the second exists; one more is added to stay two ahead.
    assert services.plan_reminders(plan, dt.datetime(2025, 4, 1, tzinfo=dt.UTC)) == 1


def test_it_stops_reminders_when_the_engagement_closes(business, delivered):
    engagement = delivered(timezone.now() - dt.timedelta(days=2))
    interval = ServiceInterval.objects.create(business=business, name="Service", every=12)
    plan = services.start_service_plan(engagement, interval)
    engagement.closed_at = timezone.now()
    engagement.save()
    services.plan_reminders(plan)
    plan.refresh_from_db()
    assert plan.stopped_at is not None
    assert not Touchpoint.objects.filter(idempotency_key__startswith="maintenance:",
                                         status=Status.PLANNED).exists()


def test_it_plans_no_reminder_call_for_a_customer_who_asked_to_stop_everything(
        business, customer, delivered):
    engagement = delivered(timezone.now() - dt.timedelta(days=2))
    consent.suppress(customer, kinds.EMAIL)  # the unsubscribe page's "stop everything"
    interval = ServiceInterval.objects.create(business=business, name="Service", every=12,
                                              channel=kinds.CALL)
    plan = services.start_service_plan(engagement, interval)
    plan.refresh_from_db()
    assert plan.stopped_at is not None
    assert not Touchpoint.objects.filter(idempotency_key__startswith="maintenance:").exists()


def test_it_refuses_reminders_before_delivery(business, customer, call_step):
    engagement = Engagement.objects.create(business=business, customer=customer,
                                           won_at=timezone.now())
    interval = ServiceInterval.objects.create(business=business, name="Service", every=12)
    with pytest.raises(ValidationError) as info:
        services.start_service_plan(engagement, interval)
    assert "engagement" in info.value.message_dict


def test_it_books_a_reminder_as_a_new_job(owner_client, business, delivered):
    engagement = delivered(timezone.now() - dt.timedelta(days=80))
    interval = ServiceInterval.objects.create(business=business, name="Boiler service",
                                              every=3, lead_days=14, channel=kinds.CALL)
    services.start_service_plan(engagement, interval)
    reminder = Touchpoint.objects.filter(idempotency_key__startswith="maintenance:").first()
    response = owner_client.post(f"/touches/{reminder.public_id}/book/")
    reminder.refresh_from_db()
    assert reminder.status == Status.DONE
    assert Engagement.objects.filter(customer=engagement.customer).count() == 2
    assert response.status_code == 302


def test_it_starts_reminders_from_the_page(owner_client, business, delivered):
    engagement = delivered(timezone.now() - dt.timedelta(days=1))
    owner_client.post("/reminders/", {"save_interval": "1", "name": "Boiler service",
                                      "every": "12", "unit": "months", "lead_days": "14",
                                      "channel": "card"})
    interval = ServiceInterval.objects.get()
    owner_client.post("/reminders/", {"start_plan": "1", "engagement": engagement.public_id,
                                      "interval": interval.public_id})
    assert Touchpoint.objects.filter(idempotency_key__startswith="maintenance:").count() == 2


# The customer's call hours

def call_hours(business, start, end):
    business.call_window_start, business.call_window_end = start, end
    business.save()


def test_it_retries_a_no_answer_call_inside_the_customers_call_hours(business, customer,
                                                                     call_step):
    call_hours(business, dt.time(15, 0), dt.time(16, 30))
    monday_ten = dt.datetime(2025, 3, 3, 10, 0, tzinfo=NY)
    engagement = Engagement.objects.create(business=business, customer=customer,
                                           playbook=call_step.playbook, kind="Job",
                                           won_at=monday_ten - dt.timedelta(days=3))
    call = Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, step=call_step,
        idempotency_key=f"{engagement.public_id}:call", name="Check-in call",
        channel=kinds.CALL, stage=4, element="other", purpose="relationship",
        due_at=monday_ten, local_date=monday_ten.date(), local_time=monday_ten.time())
    retry = services.retry_time(call, monday_ten).astimezone(NY)
    assert (retry.date(), retry.time()) == (dt.date(2025, 3, 4), dt.time(15, 0))


def test_it_puts_a_maintenance_call_inside_the_customers_call_hours(business, delivered):
    call_hours(business, dt.time(15, 0), dt.time(16, 30))
    engagement = delivered(dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC))
    interval = ServiceInterval.objects.create(business=business, name="Service", every=3,
                                              unit="months", lead_days=0, channel=kinds.CALL)
    services.start_service_plan(engagement, interval, dt.datetime(2025, 1, 16, tzinfo=dt.UTC))
    first = Touchpoint.objects.filter(idempotency_key__startswith="maintenance:").earliest(
        "due_at")
    assert first.due_at.astimezone(NY).time() == dt.time(15, 0)
    assert "call hours" in first.moved_reason
