"""Surveys, incidents and the personal touches they put on Today."""

import datetime as dt
import functools
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.mailqueue import queue_mail
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import FeedbackSettings, Incident, SurveyResponse
from followthrough.tenants.models import Business, Membership
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint

SURVEY_LIFETIME = dt.timedelta(days=60)
EDIT_WINDOW = dt.timedelta(hours=24)
NPS_ALARM, CSAT_ALARM = 6, 2
RECOVERY_PRIORITY, OPPORTUNITY_PRIORITY = 100, 50
ANSWER_FIELDS = ("nps", "csat", "went_well", "improve", "anything_else", "quote_as")
TOUCHPOINT_FIELDS = ("id", "business_id", "customer_id", "due_at", "completed_at")
QUESTION_FIELDS = ("q_nps", "q_csat", "q_went_well", "q_improve", "q_anything_else",
                   "q_testimonial")
# The survey GET's one statement (survey_page). The table names come from the models, the
# columns are their fields' (Django's default names); the settings row and an answer may be
# missing, hence the LEFT JOINs. The answer is editable_response()'s.
SURVEY_PAGE_SQL = """\
SELECT t.id, t.business_id, t.customer_id, t.due_at, t.completed_at,
       b.name AS shop_name, c.name AS customer_name, f.id AS questions_id,
       f.q_nps, f.q_csat, f.q_went_well, f.q_improve, f.q_anything_else, f.q_testimonial,
       r.id AS answer_id, r.nps AS answer_nps, r.csat AS answer_csat,
       r.went_well AS answer_went_well, r.improve AS answer_improve,
       r.anything_else AS answer_anything_else, r.quote_as AS answer_quote_as
FROM {touchpoint} t
JOIN {business} b ON b.id = t.business_id
JOIN {customer} c ON c.id = t.customer_id
LEFT JOIN {settings} f ON f.business_id = t.business_id
LEFT JOIN {response} r ON r.id = (
    SELECT r2.id FROM {response} r2 WHERE r2.touchpoint_id = t.id AND r2.created_at >= %s
    ORDER BY r2.created_at DESC, r2.id DESC LIMIT 1)
WHERE t.link_token = %s"""


class SurveyPage(NamedTuple):
    """What the survey's GET shows; see survey_page()."""

    touchpoint: Touchpoint  # its .business and .customer hold only their names
    questions: FeedbackSettings | None  # the wording's columns; None until the row exists
    earlier: dict | None  # editable_response()'s ANSWER_FIELDS, while it may be edited


def settings_for(business) -> FeedbackSettings:
    return FeedbackSettings.objects.get_or_create(business=business)[0]


def touchpoint_for_link(token: str) -> Touchpoint | None:
    """The touchpoint behind a customer's link, with its business and customer (the
    public pages show both; none of them reads the engagement)."""
    found = Touchpoint.objects.select_related("business", "customer").filter(link_token=token)
    # The token is unique. order_by() drops Touchpoint's default ORDER BY, which a slice
    # (like .first()) keeps and which costs the ORM more to build than the query takes to run.
    return next(iter(found.order_by()[:1]), None)


def survey_page(token: str, now=None) -> SurveyPage | None:
    """The survey's touchpoint, its wording and the answer that may still be edited: what
    touchpoint_for_link(), settings_for() and editable_response() read, in one statement and
    with no write. The survey is the page customers load most, and building those three ORM
    queries took about ten times the CPU of running them. Read on every request (nothing is
    cached), so new wording or a just-sent answer shows at once in every process."""
    since = (now or timezone.now()) - EDIT_WINDOW
    with connection.cursor() as cursor:
        cursor.execute(_survey_page_sql(), [since, token])
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip((column[0] for column in cursor.description), values, strict=True))
    touchpoint = _partial(Touchpoint, **{name: row[name] for name in TOUCHPOINT_FIELDS})
    touchpoint.business = _partial(Business, id=row["business_id"], name=row["shop_name"])
    touchpoint.customer = _partial(Customer, id=row["customer_id"], name=row["customer_name"])
    return SurveyPage(touchpoint, _questions(row), _answers(row))


@functools.cache
def _survey_page_sql() -> str:
    quote = connection.ops.quote_name
    tables = {"touchpoint": Touchpoint, "business": Business, "customer": Customer,
              "settings": FeedbackSettings, "response": SurveyResponse}
    return SURVEY_PAGE_SQL.format(**{k: quote(m._meta.db_table) for k, m in tables.items()})


def _partial(model, **values):
    """A `model` instance holding only `values` (as read from the database, converted as the
    ORM converts them); other fields load on access, as with .only()."""
    converted = [_from_db(model, name, value) for name, value in values.items()]
    return model.from_db(connection.alias, list(values), converted)


def _from_db(model, name: str, value):
    """The value as a queryset would return it: the backend's and the field's converters
    (SQLite hands datetimes back as naive UTC text, for one)."""
    column, converters = _converters(model, name)
    for convert in converters:
        value = convert(value, column, connection)
    return value


@functools.cache
def _converters(model, name: str) -> tuple:
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    return column, (connection.ops.get_db_converters(column)
                    + column.get_db_converters(connection))


def _questions(row: dict) -> FeedbackSettings | None:
    if row["questions_id"] is None:
        return None
    values = {name: row[name] for name in QUESTION_FIELDS}
    return _partial(FeedbackSettings, id=row["questions_id"], business_id=row["business_id"],
                    **values)


def _answers(row: dict) -> dict | None:
    if row["answer_id"] is None:
        return None
    return {name: row[f"answer_{name}"] for name in ANSWER_FIELDS}


def link_expires_at(touchpoint: Touchpoint) -> dt.datetime:
    return (touchpoint.completed_at or touchpoint.due_at) + SURVEY_LIFETIME


def is_expired(touchpoint: Touchpoint, now=None) -> bool:
    return (now or timezone.now()) >= link_expires_at(touchpoint)


def editable_response(touchpoint: Touchpoint, now=None) -> SurveyResponse | None:
    """The answer this touchpoint got less than 24 hours ago, which the customer may edit."""
    since = (now or timezone.now()) - EDIT_WINDOW
    return (SurveyResponse.objects.filter(touchpoint=touchpoint, created_at__gte=since)
            .order_by("-created_at", "-id").first())


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


def personal_touch(engagement: Engagement | None, key: str, name: str, body: str,
                   priority: int, now, channel=kinds.CALL, element=v.CHECK_IN, *,
                   origin: str = Origin.MANUAL, customer: Customer | None = None) -> Touchpoint:
    """A personal touch for Today, outside any playbook; the key makes it happen once. With
    no engagement it is about `customer` alone (someone who wrote before any sale)."""
    customer = customer or engagement.customer
    local = now.astimezone(customer.business.zone)
    touch, created = lifecycle.get_or_create(
        key, origin=origin, business_id=customer.business_id, engagement=engagement,
        customer_id=customer.pk, name=name, channel=channel, stage=4,
        element=element, purpose=v.RELATIONSHIP, due_at=now, local_date=local.date(),
        local_time=local.time().replace(microsecond=0), priority=priority,
        rendered_body=body,
    )
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
                          OPPORTUNITY_PRIORITY, now, origin=Origin.FOLLOW_UP)


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
        lifecycle.transition(
            Touchpoint.objects.filter(customer=customer, purpose=v.MARKETING), Status.PAUSED,
            from_=Status.PLANNED, reason_code=Reason.INCIDENT_OPEN, updated_at=now)
        script = render_to_string("feedback/recovery_script.txt",
                                  {"incident": incident, "customer": customer,
                                   "response": response, "engagement": engagement})
        personal_touch(engagement, f"incident:{incident.public_id}", "Recovery call", script,
                       RECOVERY_PRIORITY, now, origin=Origin.INCIDENT_RECOVERY)
        events.publish(customer.business, events.INCIDENT_OPENED, {
            "incident": incident.public_id, "customer": customer.public_id, "reason": reason,
        })
        alert_owners(incident)
    return incident


def alert_owners(incident: Incident) -> None:
    """Queue the owners' alert in the incident's transaction: the worker sends it, so a
    mail server that refuses or hangs never costs the customer their thank-you page."""
    business = incident.customer.business
    owners = list(Membership.objects.filter(business=business, role=Membership.OWNER)
                  .values_list("user__email", flat=True))
    owners = [address for address in owners if address]
    if not owners:
        return
    context = {"incident": incident, "customer": incident.customer,
               "site_url": settings.SITE_URL}
    queue_mail(
        f"{incident.customer.name} is unhappy: please call them today",
        render_to_string("feedback/incident_alert.txt", context), owners,
        kind="incident_alert", business=business,
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
        lifecycle.transition(Touchpoint.objects.filter(customer=customer), Status.PLANNED,
                             from_=Status.PAUSED, reason_code=Reason.NONE, updated_at=now)
        events.publish(customer.business, events.INCIDENT_RESOLVED, {
            "incident": incident.public_id, "customer": customer.public_id,
        })
    return incident


def reopen_incident(incident: Incident, resolved_at, now=None) -> Incident:
    """Take back a resolve made at `resolved_at` (the owner's Undo): the incident is open
    again, marketing is held again and the planner holds back the tactless asks again.
    Refused when it was resolved at another time, or a new incident opened meanwhile."""
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError

    now = now or timezone.now()
    try:
        with transaction.atomic():
            reopened = Incident.objects.filter(pk=incident.pk, resolved_at=resolved_at).update(
                resolved_at=None, resolution_note="")
            if not reopened:
                raise ValidationError({"incident": "It changed meanwhile, so the resolve "
                                                   "can't be undone."})
            customer = incident.customer
            Customer.objects.filter(pk=customer.pk).update(marketing_hold=True)
            lifecycle.transition(
                Touchpoint.objects.filter(customer=customer, purpose=v.MARKETING),
                Status.PAUSED, from_=Status.PLANNED, reason_code=Reason.INCIDENT_OPEN,
                updated_at=now)
            events.publish(customer.business, events.INCIDENT_OPENED, {
                "incident": incident.public_id, "customer": customer.public_id,
                "reason": incident.reason,
            })
    except IntegrityError:  # one open incident per customer: a new one opened meanwhile
        raise ValidationError({"incident": f"{incident.customer.name} has a newer open "
                                           "incident; follow up on that one."}) from None
    incident.resolved_at, incident.resolution_note = None, ""
    return incident
