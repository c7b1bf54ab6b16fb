"""Surveys, incidents and the personal touches they put on Today."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough import events
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import FeedbackSettings, Incident, SurveyResponse
from followthrough.playbooks import vocabulary as v
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Status, Touchpoint

SURVEY_LIFETIME = dt.timedelta(days=60)
EDIT_WINDOW = dt.timedelta(hours=24)
NPS_ALARM, CSAT_ALARM = 6, 2
RECOVERY_PRIORITY, OPPORTUNITY_PRIORITY = 100, 50
ANSWER_FIELDS = ("nps", "csat", "went_well", "improve", "anything_else", "quote_as")


def settings_for(business) -> FeedbackSettings:
    return FeedbackSettings.objects.get_or_create(business=business)[0]


def touchpoint_for_link(token: str) -> Touchpoint | None:
    """The touchpoint behind a customer's link, with its business and customer (the
    public pages show both; none of them reads the engagement)."""
    found = Touchpoint.objects.select_related("business", "customer").filter(
        link_token=token)[:1]  # the token is unique: no ORDER BY needed, unlike .first()
    return next(iter(found), None)


def link_expires_at(touchpoint: Touchpoint) -> dt.datetime:
    return (touchpoint.completed_at or touchpoint.due_at) + SURVEY_LIFETIME


def is_expired(touchpoint: Touchpoint, now=None) -> bool:
    return (now or timezone.now()) >= link_expires_at(touchpoint)


def editable_response(touchpoint: Touchpoint, now=None) -> SurveyResponse | None:
    """The answer this touchpoint got less than 24 hours ago, which the customer may edit."""
    since = (now or timezone.now()) - EDIT_WINDOW
    return (SurveyResponse.objects.filter(touchpoint=touchpoint, created_at__gte=since)
            .order_by("-created_at").first())


def submit_response(touchpoint: Touchpoint, answers: dict, now=None) -> SurveyResponse:
    """Store an answer: an edit within 24 hours updates it (so a repeated POST never
    duplicates), later a new response. Opens an incident for a low score."""
    now = now or timezone.now()
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=touchpoint.customer_id).first()
        response = editable_response(touchpoint, now) or SurveyResponse(
            business_id=touchpoint.business_id, customer=touchpoint.customer,
            engagement_id=touchpoint.engagement_id, touchpoint=touchpoint, created_at=now,
        )
        for name in ANSWER_FIELDS:
            setattr(response, name, answers.get(name, getattr(response, name)))
        response.updated_at = now
        response.save()
        events.publish(touchpoint.business, events.FEEDBACK_RECEIVED, {
            "response": response.public_id, "customer": touchpoint.customer.public_id,
            "nps": response.nps, "csat": response.csat,
        })
        _follow_up(response, now)
    return response


def _follow_up(response: SurveyResponse, now) -> None:
    reason = alarm_reason(response)
    if reason:
        summary = response.improve or response.went_well
        open_incident(response.customer, response.engagement, reason, summary, response, now)
    if response.anything_else.strip():
        plan_opportunity(response, now)


def alarm_reason(response: SurveyResponse) -> str:
    if response.nps is not None and response.nps <= NPS_ALARM:
        return Incident.NPS
    if response.csat is not None and response.csat <= CSAT_ALARM:
        return Incident.CSAT
    return ""


def personal_touch(engagement: Engagement, key: str, name: str, body: str, priority: int,
                   now, channel=kinds.CALL, element=v.CHECK_IN) -> Touchpoint:
    """A personal touch for Today, outside any playbook; the key makes it happen once."""
    local = now.astimezone(engagement.business.zone)
    touch, created = Touchpoint.objects.get_or_create(idempotency_key=key, defaults=dict(
        business_id=engagement.business_id, engagement=engagement,
        customer_id=engagement.customer_id, step=None, name=name, channel=channel, stage=4,
        element=element, purpose=v.RELATIONSHIP, due_at=now, local_date=local.date(),
        local_time=local.time().replace(microsecond=0), priority=priority,
        rendered_body=body,
    ))
    if not created and touch.status == Status.PLANNED and touch.rendered_body != body:
        Touchpoint.objects.filter(pk=touch.pk, status=Status.PLANNED).update(
            rendered_body=body, name=name, updated_at=timezone.now())
    return touch


def plan_opportunity(response: SurveyResponse, now) -> Touchpoint:
    ask = " ".join(response.anything_else.split())
    short = ask if len(ask) <= 60 else ask[:57] + "…"
    body = render_to_string("feedback/opportunity_script.txt",
                            {"response": response, "customer": response.customer})
    return personal_touch(response.engagement, f"ask:{response.public_id}",
                          f"Follow up: they asked “{short}”"[:120], body,
                          OPPORTUNITY_PRIORITY, now)


def open_incident(customer: Customer, engagement: Engagement, reason: str, summary: str = "",
                  response: SurveyResponse | None = None, now=None) -> Incident:
    """Open (or reuse) the customer's incident: hold marketing, put a recovery call at the
    top of Today and tell the owners by email."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.filter(customer=customer, resolved_at=None).first()
        if incident:
            return incident
        incident = Incident.objects.create(
            business_id=customer.business_id, customer=customer, response=response,
            reason=reason, summary=summary[:2000], opened_at=now,
        )
        Customer.objects.filter(pk=customer.pk).update(marketing_hold=True)
        customer.marketing_hold = True
        Touchpoint.objects.filter(customer=customer, status=Status.PLANNED,
                                  purpose=v.MARKETING).update(status=Status.PAUSED,
                                                              updated_at=now)
        script = render_to_string("feedback/recovery_script.txt",
                                  {"incident": incident, "customer": customer,
                                   "response": response, "engagement": engagement})
        personal_touch(engagement, f"incident:{incident.public_id}", "Recovery call", script,
                       RECOVERY_PRIORITY, now)
        events.publish(customer.business, events.INCIDENT_OPENED, {
            "incident": incident.public_id, "customer": customer.public_id, "reason": reason,
        })
        transaction.on_commit(lambda: alert_owners(incident))
    return incident


def alert_owners(incident: Incident) -> None:
    business = incident.customer.business
    owners = list(Membership.objects.filter(business=business, role=Membership.OWNER)
                  .values_list("user__email", flat=True))
    owners = [address for address in owners if address]
    if not owners:
        return
    context = {"incident": incident, "customer": incident.customer,
               "site_url": settings.SITE_URL}
    send_mail(
        f"{incident.customer.name} is unhappy: please call them today",
        render_to_string("feedback/incident_alert.txt", context),
        settings.DEFAULT_FROM_EMAIL, owners,
    )


def resolve_incident(incident: Incident, note: str, now=None) -> Incident:
    now = now or timezone.now()
    with transaction.atomic():
        updated = Incident.objects.filter(pk=incident.pk, resolved_at=None).update(
            resolved_at=now, resolution_note=note[:2000])
        if not updated:
            return incident
        incident.resolved_at, incident.resolution_note = now, note[:2000]
        customer = incident.customer
        Customer.objects.filter(pk=customer.pk).update(marketing_hold=False)
        Touchpoint.objects.filter(customer=customer, status=Status.PAUSED).update(
            status=Status.PLANNED, updated_at=now)
        events.publish(customer.business, events.INCIDENT_RESOLVED, {
            "incident": incident.public_id, "customer": customer.public_id,
        })
    return incident
