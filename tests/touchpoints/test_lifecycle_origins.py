"""Every module that makes a touchpoint says what made it, through the lifecycle, and the
rows it made survive every replan of their engagement. Made here by the real code paths:
a maintenance reminder, a visit, a recovery call, a follow-up, news and a referral
thank-you (docs/architecture.md, "The touchpoint lifecycle")."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.agenda import news, visits
from followthrough.agenda import services as agenda_services
from followthrough.agenda.models import ServiceInterval, ServicePlan
from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.feedback import referrals
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.playbooks import services as playbook_services
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint


@pytest.fixture
def job(business):
    playbook = Playbook.objects.create(business=business, slug="after", name="After a job")
    for position, (name, anchor, offset) in enumerate(
            (("Thank you", v.WON, 1), ("How is it going?", v.DELIVERED, 5)), 1):
        Step.objects.create(
            playbook=playbook, position=position, name=name, anchor=anchor, offset_days=offset,
            channel=kinds.EMAIL, element=v.THANK_YOU, purpose=v.RELATIONSHIP,
            subject="Thanks", body="Hi {{ customer_first_name }}",
        )
    customer = Customer.objects.create(business=business, name="Jamie Doe",
                                       email="jamie@example.com", phone="+15555550100")
    now = timezone.now()
    return services.create_engagement(business, customer, playbook, kind="Job",
                                      description="Boiler", won_at=now - dt.timedelta(days=2),
                                      delivered_at=now - dt.timedelta(hours=2))


def maintenance(job):
    interval = ServiceInterval.objects.create(business=job.business, name="Boiler service",
                                              every=2, unit="weeks", lead_days=1,
                                              channel=kinds.CALL)
    agenda_services.start_service_plan(job, interval)
    return Touchpoint.objects.filter(engagement=job, element=v.MAINTENANCE).first()


def visit(job):
    day = timezone.now().date() + dt.timedelta(days=20)
    return visits.plan_visit(job.business, job.customer, day)


def recovery_call(job):
    incident = feedback_services.open_incident(job.customer, job, Incident.NPS, "Late again")
    return Touchpoint.objects.get(idempotency_key=f"incident:{incident.public_id}")


def follow_up(job):
    response = SurveyResponse.objects.create(
        business=job.business, customer=job.customer, engagement=job, nps=9,
        anything_else="Could you quote for a new bathroom?")
    return feedback_services.plan_opportunity(response, timezone.now())


def news_email(job):
    shared = news.share_news(job.business, [job.customer], "https://example.com/tips",
                             "Thought of you when I read this.")
    return shared.sent[0]


def referral_thanks(job):
    friend = Customer.objects.create(business=job.business, name="Sam", email="s@example.com")
    referrals.attribute(friend, job.customer)
    return Touchpoint.objects.get(engagement=job, element=v.THANK_YOU, channel=kinds.CARD)


MAKERS = {
    Origin.MAINTENANCE: maintenance, Origin.VISIT: visit,
    Origin.INCIDENT_RECOVERY: recovery_call, Origin.FOLLOW_UP: follow_up,
    Origin.NEWS: news_email, Origin.REFERRAL: referral_thanks,
}


@pytest.mark.parametrize("origin", sorted(MAKERS))
def test_it_records_who_made_the_row(job, origin):
    row = MAKERS[origin](job)
    assert row.origin == origin
    assert row.step is None


@pytest.mark.parametrize("origin", sorted(MAKERS))
def test_it_keeps_the_row_through_every_replan(job, origin, owner_client,
                                                django_capture_on_commit_callbacks):
    row = MAKERS[origin](job)
    status, due = row.status, row.due_at
    step = job.playbook.steps.first()
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.save_step(step)
        playbook_services.move_step(step, playbook_services.DOWN)
        owner_client.post(reverse("playbook_add_element", args=[job.playbook.public_id]),
                          {"element": v.CHECK_IN})
    assert job.playbook.steps.filter(element=v.CHECK_IN).exists()
    now = timezone.now()
    for event, at in ((v.STARTED, now - dt.timedelta(days=1)), (v.DELIVERED, now),
                      (v.CLOSED, now)):
        services.record_event(job, event, at)
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.delete_step(step)
    row.refresh_from_db()
    assert (row.status, row.due_at) == (status, due)


def test_it_tells_a_reminder_by_its_origin_not_its_key(job, owner_client):
    row = visit(job)
    # A key that looks like a reminder's does not make a visit one.
    Touchpoint.objects.filter(pk=row.pk).update(idempotency_key="maintenance:fake:1")
    response = owner_client.post(reverse("touch_book", args=[row.public_id]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == Status.PLANNED
    assert job.customer.engagements.count() == 1


def test_it_books_a_real_reminder_as_a_new_job(job, owner_client):
    row = maintenance(job)
    owner_client.post(reverse("touch_book", args=[row.public_id]))
    row.refresh_from_db()
    assert row.status == Status.DONE
    assert job.customer.engagements.count() == 2


def test_it_stops_only_the_reminders_of_the_stopped_plan(job):
    first = maintenance(job)
    other = Customer.objects.create(business=job.business, name="Lee", email="l@example.com")
    second_job = services.create_engagement(
        job.business, other, None, kind="Job", description="Boiler",
        won_at=timezone.now() - dt.timedelta(days=3), delivered_at=timezone.now())
    second = maintenance(second_job)
    plan = ServicePlan.objects.get(engagement=job)
    agenda_services.stop_service_plan(plan, "moving house")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.reason_code) == (Status.CANCELLED, Reason.PLAN_STOPPED)
    assert second.status == Status.PLANNED


def test_it_holds_marketing_with_a_code_and_lets_it_go_again(job):
    step = Step.objects.create(playbook=job.playbook, position=9, name="Spring offer",
                               anchor=v.WON, offset_days=20, channel=kinds.EMAIL,
                               element=v.OTHER, purpose=v.MARKETING, subject="Offer",
                               body="Hi")
    row = Touchpoint.objects.create(
        business=job.business, engagement=job, customer=job.customer, step=step,
        origin=Origin.PLAYBOOK_STEP, idempotency_key="offer", name="Spring offer",
        channel=kinds.EMAIL, stage=4, element=v.OTHER, purpose=v.MARKETING,
        due_at=timezone.now() + dt.timedelta(days=9), local_date=timezone.now().date(),
        local_time=dt.time(10))
    incident = feedback_services.open_incident(job.customer, job, Incident.NPS)
    row.refresh_from_db()
    assert (row.status, row.reason_code) == (Status.PAUSED, Reason.INCIDENT_OPEN)
    feedback_services.resolve_incident(incident, "Called and fixed it.")
    row.refresh_from_db()
    assert (row.status, row.reason_code) == (Status.PLANNED, Reason.NONE)
