"""The JSON API, v1. See docs/api.md for the guide; /api/v1/docs for the reference.

Every route authenticates with a business's API key and loads objects scoped to that
business, so another business's id is a 404, exactly like an id that does not exist.
Writes run in one transaction: a request either saves everything or nothing.
"""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from ninja import NinjaAPI, Query, Router, Status

from followthrough.agenda import services as agenda_services
from followthrough.agenda.models import Promise
from followthrough.api import errors
from followthrough.api.auth import ApiKeyAuth, business_of
from followthrough.api.docs import LocalSwagger
from followthrough.api.errors import ApiError, FieldErrors, NotFound
from followthrough.api.schemas import (
    BrokenIn,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    Day,
    EngagementCustomerIn,
    EngagementIn,
    EngagementOut,
    EngagementPage,
    EngagementStatus,
    EventIn,
    FeedbackOut,
    FeedbackPage,
    IncidentOut,
    IncidentPage,
    IncidentReason,
    KeptIn,
    OutcomeIn,
    PlaybookOut,
    PlaybookPage,
    PromiseIn,
    PromiseOut,
    PromisePage,
    PromiseStatus,
    PublicId,
    ResolveIn,
    Text,
    TouchpointOut,
    TouchpointPage,
    TouchpointStatus,
    When,
)
from followthrough.customers import services as customer_services
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.playbooks import vocabulary as v
from followthrough.playbooks.models import Playbook
from followthrough.touchpoints import services as touchpoint_services
from followthrough.touchpoints.models import Touchpoint

api = NinjaAPI(
    title="Followthrough API",
    version="1",
    description=(
        "Send your sales, jobs and orders; Followthrough plans every touch point. "
        "Authenticate with `Authorization: Bearer <key>` (create a key with "
        "`followthrough apikey create --business SLUG`). Errors are "
        '`{"detail": [{"field": "won_at", "message": "..."}]}`. Datetimes must carry an '
        "offset (naive ones are refused); responses give them in the business's time zone."
    ),
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs=LocalSwagger(),
    docs_url="/docs",
)
errors.install(api)

customers = Router(tags=["customers"])
playbooks = Router(tags=["playbooks"])
engagements = Router(tags=["engagements"])
touchpoints = Router(tags=["touchpoints"])
feedback = Router(tags=["feedback"])
incidents = Router(tags=["incidents"])
promises = Router(tags=["promises"])

MAX_PAGE = 200
Limit = Query(50, ge=1, le=MAX_PAGE)


# ---------------------------------------------------------------------- output helpers


def _local(business, value):
    return value.astimezone(business.zone) if value is not None else None


def customer_out(customer: Customer) -> dict:
    zone_of = customer.business
    return {
        "id": customer.public_id,
        "external_id": customer.external_id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "postal_address": customer.postal_address,
        "preferred_channel": customer.preferred_channel,
        "notes": customer.notes,
        "defining_moment": customer.defining_moment,
        "tags": customer.tags,
        "created_at": _local(zone_of, customer.created_at),
        "updated_at": _local(zone_of, customer.updated_at),
    }


def touchpoint_out(touchpoint: Touchpoint, business) -> dict:
    return {
        "id": touchpoint.public_id,
        "step": touchpoint.name,
        "channel": touchpoint.channel,
        "stage": touchpoint.stage,
        "element": touchpoint.element,
        "purpose": touchpoint.purpose,
        "status": touchpoint.status,
        "due_at": _local(business, touchpoint.due_at),
        "local_date": touchpoint.local_date,
        "local_time": touchpoint.local_time,
        "moved_reason": touchpoint.moved_reason,
        "engagement": touchpoint.engagement.public_id,
        "customer": touchpoint.customer.public_id,
    }


def _engagement_status(engagement: Engagement) -> str:
    if engagement.cancelled_at:
        return v.CANCELLED
    if engagement.closed_at:
        return v.CLOSED
    if engagement.delivered_at:
        return v.DELIVERED
    if engagement.started_at:
        return v.STARTED
    return v.WON


def engagement_out(engagement: Engagement, rows=None) -> dict:
    business = engagement.business
    if rows is None:
        rows = (
            Touchpoint.objects.filter(engagement=engagement)
            .select_related("engagement", "customer")
            .order_by("due_at", "id")
        )
    return {
        "id": engagement.public_id,
        "external_id": engagement.external_id,
        "customer": engagement.customer.public_id,
        "playbook": engagement.playbook.slug if engagement.playbook else None,
        "kind": engagement.kind,
        "description": engagement.description,
        "value": engagement.value,
        "status": _engagement_status(engagement),
        "won_at": _local(business, engagement.won_at),
        "started_at": _local(business, engagement.started_at),
        "delivered_at": _local(business, engagement.delivered_at),
        "closed_at": _local(business, engagement.closed_at),
        "cancelled_at": _local(business, engagement.cancelled_at),
        "created_at": _local(business, engagement.created_at),
        "touchpoints": [touchpoint_out(t, business) for t in rows],
    }


# ------------------------------------------------------------------------ scoped loaders


def _scoped(model, business, public_id: str, *related):
    """The business's object with this public id, or None. An id no object could have (too
    long, or with a NUL, which PostgreSQL cannot even compare) is simply not found."""
    if not public_id or len(public_id) > 64 or "\x00" in public_id:
        return None
    return (model.objects.select_related(*related)
            .filter(business=business, public_id=public_id).first())


def load_customer(business, public_id: str, field: str = "id") -> Customer:
    customer = _scoped(Customer, business, public_id, "business")
    if customer is None:
        raise NotFound(field, "No customer with this id.")
    return customer


def load_engagement(business, public_id: str, field: str = "id") -> Engagement:
    engagement = _scoped(Engagement, business, public_id, "business", "customer", "playbook")
    if engagement is None:
        raise NotFound(field, "No engagement with this id.")
    return engagement


def load_touchpoint(business, public_id: str, field: str = "id") -> Touchpoint:
    touchpoint = _scoped(Touchpoint, business, public_id, "engagement", "customer")
    if touchpoint is None:
        raise NotFound(field, "No touchpoint with this id.")
    return touchpoint


# ---------------------------------------------------------------------------- customers


def _upsert(business, data: dict, prefix: str = "") -> tuple[Customer, bool]:
    if data.get("external_id") is None:
        data.pop("external_id", None)
    try:
        return customer_services.upsert_customer(business, data)
    except ValidationError as exc:
        raise FieldErrors(exc, prefix) from None


@customers.post("", response={200: CustomerOut, 201: CustomerOut}, summary="Create or update")
def create_customer(request, payload: CustomerIn):
    """Creates a customer, or updates the one with the same `external_id` (200).
    Only the fields you send are written."""
    business = business_of(request)
    try:
        with transaction.atomic():
            customer, created = _upsert(business, payload.model_dump(exclude_unset=True))
    except IntegrityError:
        # Two requests raced to create the same external_id; the other one won.
        raise ApiError(409, "external_id", "A customer with this external_id was created "
                       "at the same moment; send the request again.") from None
    return Status(201 if created else 200, customer_out(customer))


@customers.get("", response=CustomerPage, summary="List")
def list_customers(
    request,
    email: Text(254) | None = None,
    external_id: Text(100) | None = None,
    phone: Text(32) | None = None,
    tag: Text(60) | None = None,
    updated_since: When | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Customers in the order they were created. Filter by `email`, `external_id`, `phone`
    (E.164), `tag` (one tag) or `updated_since`."""
    business = business_of(request)
    rows = Customer.objects.filter(business=business).select_related("business").order_by("id")
    if email is not None:
        rows = rows.filter(email__iexact=email)
    if external_id is not None:
        rows = rows.filter(external_id=external_id)
    if phone is not None:
        rows = rows.filter(phone=phone)
    if tag is not None:
        rows = [c for c in rows.filter(tags__icontains=tag)
                if tag.strip().lower() in (t.lower() for t in c.tag_list)]
        rows = Customer.objects.filter(pk__in=[c.pk for c in rows]).select_related(
            "business").order_by("id")
    if updated_since is not None:
        rows = rows.filter(updated_at__gte=updated_since)
    if after is not None:
        rows = rows.filter(id__gt=load_customer(business, after, "after").id)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [customer_out(c) for c in page],
        "next": page[-1].public_id if more else None,
    }


@customers.get("/{id}", response=CustomerOut, summary="Get")
def get_customer(request, id: str):  # noqa: A002 - the path's name for it
    return customer_out(load_customer(business_of(request), id))


# -------------------------------------------------------------------------- engagements


def _resolve_customer(business, data: EngagementCustomerIn) -> Customer:
    given = data.model_dump(exclude_unset=True)
    if given.get("id") is None:
        given.pop("id", None)
    if "id" in given:
        if len(given) > 1:
            raise ApiError(422, "customer.id", "Send either the customer's id alone, or "
                           "customer fields without an id.")
        return load_customer(business, given["id"], "customer.id")
    if given.get("external_id") is not None and set(given) == {"external_id"}:
        customer = (
            Customer.objects.filter(business=business, external_id=given["external_id"])
            .select_related("business")
            .first()
        )
        if customer is None:
            raise NotFound("customer.external_id", "No customer has this external_id; send "
                           "the customer's fields (at least a name) to create one.")
        return customer
    customer, _ = _upsert(business, given, prefix="customer.")
    return customer


def _existing_engagement(business, external_id: str | None) -> Engagement | None:
    if external_id is None:
        return None
    return (
        Engagement.objects.select_related("business", "customer", "playbook")
        .filter(business=business, external_id=external_id)
        .first()
    )


@engagements.post("", response={200: EngagementOut, 201: EngagementOut}, summary="Create")
def create_engagement(request, payload: EngagementIn):
    """Records a sale, job or order and plans its touchpoints from the playbook.
    Replaying a request with the same `external_id` returns the existing engagement (200)
    and changes nothing."""
    business = business_of(request)
    existing = _existing_engagement(business, payload.external_id)
    if existing is not None:
        return Status(200, engagement_out(existing))
    playbook = Playbook.objects.filter(business=business, slug=payload.playbook).first()
    if playbook is None:
        raise ApiError(422, "playbook", f"No playbook with the slug '{payload.playbook}'.")
    if not playbook.is_active:
        raise ApiError(422, "playbook", f"The playbook '{payload.playbook}' is switched off.")
    try:
        with transaction.atomic():
            customer = _resolve_customer(business, payload.customer)
            try:
                engagement = touchpoint_services.create_engagement(
                    business, customer, playbook,
                    kind=payload.kind,
                    description=payload.description,
                    value=payload.value,
                    won_at=payload.won_at,
                    started_at=payload.started_at,
                    delivered_at=payload.delivered_at,
                    external_id=payload.external_id,
                )
            except ValidationError as exc:
                raise FieldErrors(exc) from None
    except IntegrityError:
        existing = _existing_engagement(business, payload.external_id)
        if existing is not None:  # a concurrent replay saved it first
            return Status(200, engagement_out(existing))
        raise ApiError(409, "external_id", "Another request changed the same records at "
                       "the same moment; send the request again.") from None
    engagement = load_engagement(business, engagement.public_id)
    return Status(201, engagement_out(engagement))


@engagements.get("", response=EngagementPage, summary="List")
def list_engagements(
    request,
    customer: PublicId | None = None,
    status: EngagementStatus | None = None,
    playbook: Text(60) | None = None,
    external_id: Text(100) | None = None,
    won_after: When | None = None,
    won_before: When | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Engagements, newest first by won date. Filter by `customer`, `status`, `playbook`
    (slug), `external_id`, `won_after` and `won_before`."""
    business = business_of(request)
    rows = (Engagement.objects.filter(business=business)
            .select_related("business", "customer", "playbook").order_by("-won_at", "-id"))
    if customer is not None:
        rows = rows.filter(customer=load_customer(business, customer, "customer"))
    if status is not None:
        rows = {
            v.CANCELLED: rows.filter(cancelled_at__isnull=False),
            v.CLOSED: rows.filter(cancelled_at__isnull=True, closed_at__isnull=False),
            v.DELIVERED: rows.filter(cancelled_at__isnull=True, closed_at__isnull=True,
                                     delivered_at__isnull=False),
            v.STARTED: rows.filter(cancelled_at__isnull=True, closed_at__isnull=True,
                                   delivered_at__isnull=True, started_at__isnull=False),
            v.WON: rows.filter(cancelled_at__isnull=True, closed_at__isnull=True,
                               delivered_at__isnull=True, started_at__isnull=True),
        }[status]
    if playbook is not None:
        rows = rows.filter(playbook__slug=playbook)
    if external_id is not None:
        rows = rows.filter(external_id=external_id)
    if won_after is not None:
        rows = rows.filter(won_at__gte=won_after)
    if won_before is not None:
        rows = rows.filter(won_at__lt=won_before)
    if after is not None:
        mark = load_engagement(business, after, "after")
        rows = rows.filter(Q(won_at__lt=mark.won_at) | Q(won_at=mark.won_at, id__lt=mark.id))
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    by_engagement: dict[int, list] = {e.pk: [] for e in page}
    for row in (Touchpoint.objects.filter(engagement_id__in=list(by_engagement))
                .select_related("engagement", "customer").order_by("due_at", "id")):
        by_engagement[row.engagement_id].append(row)
    return {
        "items": [engagement_out(e, by_engagement[e.pk]) for e in page],
        "next": page[-1].public_id if more else None,
    }


@engagements.get("/{id}", response=EngagementOut, summary="Get")
def get_engagement(request, id: str):  # noqa: A002
    return engagement_out(load_engagement(business_of(request), id))


@engagements.post("/{id}/events", response=EngagementOut, summary="Record an event")
def record_event(request, id: str, payload: EventIn):  # noqa: A002
    """Sets one lifecycle date (won, started, delivered, closed or cancelled) and replans
    the touchpoints. Touchpoints already sent or done are history and never change."""
    business = business_of(request)
    with transaction.atomic():
        engagement = load_engagement(business, id)
        try:
            touchpoint_services.record_event(engagement, payload.event, payload.at)
        except ValidationError as exc:
            raise FieldErrors(exc) from None
    return engagement_out(load_engagement(business, id))


# -------------------------------------------------------------------------- touchpoints


@touchpoints.get("", response=TouchpointPage, summary="List")
def list_touchpoints(
    request,
    engagement: PublicId | None = None,
    customer: PublicId | None = None,
    status: TouchpointStatus | None = None,
    channel: Literal["email", "sms", "call", "card", "visit", "social", "chat"] | None = None,
    due_after: When | None = None,
    due_before: When | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Touchpoints by due time. Filter by `engagement`, `customer`, `status`, `channel`,
    `due_after` and `due_before`. An `engagement` or `customer` that is not yours is a 404."""
    business = business_of(request)
    rows = (
        Touchpoint.objects.filter(business=business)
        .select_related("engagement", "customer")
        .order_by("due_at", "id")
    )
    if engagement is not None:
        rows = rows.filter(engagement=load_engagement(business, engagement, "engagement"))
    if customer is not None:
        rows = rows.filter(customer=load_customer(business, customer, "customer"))
    if status is not None:
        rows = rows.filter(status=status)
    if channel is not None:
        rows = rows.filter(channel=channel)
    if due_after is not None:
        rows = rows.filter(due_at__gte=due_after)
    if due_before is not None:
        rows = rows.filter(due_at__lt=due_before)
    if after is not None:
        mark = load_touchpoint(business, after, "after")
        rows = rows.filter(Q(due_at__gt=mark.due_at) | Q(due_at=mark.due_at, id__gt=mark.id))
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [touchpoint_out(t, business) for t in page],
        "next": page[-1].public_id if more else None,
    }


@touchpoints.get("/{id}", response=TouchpointOut, summary="Get")
def get_touchpoint(request, id: str):  # noqa: A002
    business = business_of(request)
    return touchpoint_out(load_touchpoint(business, id), business)


def _act_on_touch(request, id: str, action, note: str) -> dict:  # noqa: A002
    business = business_of(request)
    touchpoint = load_touchpoint(business, id)
    try:
        action(touchpoint, None, note)
    except ValidationError as exc:
        raise FieldErrors(exc) from None
    return touchpoint_out(load_touchpoint(business, id), business)


@touchpoints.post("/{id}/done", response=TouchpointOut, summary="Mark a personal touch done")
def touch_done(request, id: str, payload: OutcomeIn):  # noqa: A002
    """A person made the call, wrote the card or paid the visit: the touchpoint becomes
    `done`, with your `note` on how it went. Only planned personal touches (call, card,
    visit, social, chat) can be marked done; emails and texts are sent by Followthrough."""
    return _act_on_touch(request, id, touchpoint_services.complete_touch, payload.note)


@touchpoints.post("/{id}/skip", response=TouchpointOut, summary="Skip a touch")
def touch_skip(request, id: str, payload: OutcomeIn):  # noqa: A002
    """The touch will not happen: the touchpoint becomes `skipped`, with your `note` on why.
    Only planned touchpoints can be skipped."""
    return _act_on_touch(request, id, touchpoint_services.skip_touch, payload.note)


# ---------------------------------------------------------------------------- feedback


def feedback_out(response: SurveyResponse, business) -> dict:
    return {
        "id": response.public_id,
        "customer": response.customer.public_id,
        "engagement": response.engagement.public_id,
        "touchpoint": response.touchpoint.public_id if response.touchpoint else None,
        "nps": response.nps,
        "csat": response.csat,
        "went_well": response.went_well,
        "improve": response.improve,
        "anything_else": response.anything_else,
        "quote_as": response.quote_as,
        "testimonial_status": response.testimonial_status,
        "created_at": _local(business, response.created_at),
        "updated_at": _local(business, response.updated_at),
    }


def load_feedback(business, public_id: str, field: str = "id") -> SurveyResponse:
    response = _scoped(SurveyResponse, business, public_id, "customer", "engagement", "touchpoint")
    if response is None:
        raise NotFound(field, "No survey response with this id.")
    return response


def _page(rows, limit: int, out) -> dict:
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"items": [out(row) for row in page],
            "next": page[-1].public_id if more else None}


@feedback.get("", response=FeedbackPage, summary="List")
def list_feedback(
    request,
    customer: PublicId | None = None,
    engagement: PublicId | None = None,
    nps_min: int | None = Query(None, ge=0, le=10),
    nps_max: int | None = Query(None, ge=0, le=10),
    csat_min: int | None = Query(None, ge=1, le=5),
    csat_max: int | None = Query(None, ge=1, le=5),
    received_after: When | None = None,
    received_before: When | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Survey responses, newest first. Filter by `customer`, `engagement`, score
    (`nps_min`/`nps_max` 0-10, `csat_min`/`csat_max` 1-5; a response without that score is
    left out) and period (`received_after`, `received_before`)."""
    business = business_of(request)
    rows = (SurveyResponse.objects.filter(business=business)
            .select_related("customer", "engagement", "touchpoint")
            .order_by("-created_at", "-id"))
    if customer is not None:
        rows = rows.filter(customer=load_customer(business, customer, "customer"))
    if engagement is not None:
        rows = rows.filter(engagement=load_engagement(business, engagement, "engagement"))
    for name, lookup, value in (("nps", "gte", nps_min), ("nps", "lte", nps_max),
                                ("csat", "gte", csat_min), ("csat", "lte", csat_max)):
        if value is not None:
            rows = rows.filter(**{f"{name}__{lookup}": value})
    if received_after is not None:
        rows = rows.filter(created_at__gte=received_after)
    if received_before is not None:
        rows = rows.filter(created_at__lt=received_before)
    if after is not None:
        mark = load_feedback(business, after, "after")
        rows = rows.filter(Q(created_at__lt=mark.created_at)
                           | Q(created_at=mark.created_at, id__lt=mark.id))
    return _page(rows, limit, lambda r: feedback_out(r, business))


@feedback.get("/{id}", response=FeedbackOut, summary="Get")
def get_feedback(request, id: str):  # noqa: A002
    business = business_of(request)
    return feedback_out(load_feedback(business, id), business)


# --------------------------------------------------------------------------- incidents


def incident_out(incident: Incident, business) -> dict:
    return {
        "id": incident.public_id,
        "customer": incident.customer.public_id,
        "feedback": incident.response.public_id if incident.response else None,
        "reason": incident.reason,
        "summary": incident.summary,
        "is_open": incident.is_open,
        "opened_at": _local(business, incident.opened_at),
        "resolved_at": _local(business, incident.resolved_at),
        "resolution_note": incident.resolution_note,
    }


def load_incident(business, public_id: str, field: str = "id") -> Incident:
    incident = _scoped(Incident, business, public_id, "customer__business", "response")
    if incident is None:
        raise NotFound(field, "No incident with this id.")
    return incident


@incidents.get("", response=IncidentPage, summary="List")
def list_incidents(
    request,
    is_open: bool | None = None,
    customer: PublicId | None = None,
    reason: IncidentReason | None = None,
    opened_after: When | None = None,
    opened_before: When | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Incidents (unhappy customers), newest first. Filter by `is_open`, `customer`,
    `reason` (nps, csat or complaint), `opened_after` and `opened_before`."""
    business = business_of(request)
    rows = (Incident.objects.filter(business=business)
            .select_related("customer", "response").order_by("-opened_at", "-id"))
    if is_open is not None:
        rows = rows.filter(resolved_at__isnull=is_open)
    if customer is not None:
        rows = rows.filter(customer=load_customer(business, customer, "customer"))
    if reason is not None:
        rows = rows.filter(reason=reason)
    if opened_after is not None:
        rows = rows.filter(opened_at__gte=opened_after)
    if opened_before is not None:
        rows = rows.filter(opened_at__lt=opened_before)
    if after is not None:
        mark = load_incident(business, after, "after")
        rows = rows.filter(Q(opened_at__lt=mark.opened_at)
                           | Q(opened_at=mark.opened_at, id__lt=mark.id))
    return _page(rows, limit, lambda i: incident_out(i, business))


@incidents.get("/{id}", response=IncidentOut, summary="Get")
def get_incident(request, id: str):  # noqa: A002
    business = business_of(request)
    return incident_out(load_incident(business, id), business)


@incidents.post("/{id}/resolve", response=IncidentOut, summary="Resolve")
def resolve_incident(request, id: str, payload: ResolveIn):  # noqa: A002
    """Closes the incident with a `note` on what you did to put it right. The customer's
    held marketing messages carry on."""
    business = business_of(request)
    incident = load_incident(business, id)
    if not incident.is_open:
        raise ApiError(422, "status", "This incident is already resolved.")
    note = payload.note.strip()
    if not note:
        raise ApiError(422, "note", "Say in a line what you did to put it right.")
    feedback_services.resolve_incident(incident, note)
    incident = load_incident(business, id)
    if incident.resolution_note != note:  # someone else resolved it at the same moment
        raise ApiError(422, "status", "This incident is already resolved.")
    return incident_out(incident, business)


# ---------------------------------------------------------------------------- promises


def promise_out(promise: Promise, business, today) -> dict:
    return {
        "id": promise.public_id,
        "customer": promise.customer.public_id,
        "what": promise.what,
        "due_on": promise.due_on,
        "status": promise.status,
        "is_overdue": promise.status == Promise.OPEN and promise.due_on < today,
        "honest_note": promise.honest_note,
        "make_good": promise.make_good,
        "resolved_at": _local(business, promise.resolved_at),
        "created_at": _local(business, promise.created_at),
    }


def load_promise(business, public_id: str, field: str = "id") -> Promise:
    promise = _scoped(Promise, business, public_id, "customer")
    if promise is None:
        raise NotFound(field, "No promise with this id.")
    return promise


def _promise_answer(business, public_id: str) -> dict:
    return promise_out(load_promise(business, public_id), business,
                       agenda_services.local_today(business))


@promises.post("", response={201: PromiseOut}, summary="Create")
def create_promise(request, payload: PromiseIn):
    """Notes a promise you made to a customer: `what` you promised, by `due_on`. It shows
    on Today before the day, and `promise.overdue` fires if the day passes while it is
    open."""
    business = business_of(request)
    customer = load_customer(business, payload.customer, "customer")
    try:
        promise = agenda_services.make_promise(business, customer, None, payload.what,
                                               payload.due_on)
    except ValidationError as exc:
        raise FieldErrors(exc) from None
    return Status(201, _promise_answer(business, promise.public_id))


@promises.get("", response=PromisePage, summary="List")
def list_promises(
    request,
    status: PromiseStatus | None = None,
    customer: PublicId | None = None,
    overdue: bool | None = None,
    due_after: Day | None = None,
    due_before: Day | None = None,
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Promises by due date, earliest first. Filter by `status` (open, kept or broken),
    `customer`, `overdue` (open and past its day) and `due_after`/`due_before` (dates,
    inclusive)."""
    business = business_of(request)
    today = agenda_services.local_today(business)
    rows = (Promise.objects.filter(business=business).select_related("customer")
            .order_by("due_on", "id"))
    if status is not None:
        rows = rows.filter(status=status)
    if customer is not None:
        rows = rows.filter(customer=load_customer(business, customer, "customer"))
    if overdue is True:
        rows = rows.filter(status=Promise.OPEN, due_on__lt=today)
    elif overdue is False:
        rows = rows.exclude(status=Promise.OPEN, due_on__lt=today)
    if due_after is not None:
        rows = rows.filter(due_on__gte=due_after)
    if due_before is not None:
        rows = rows.filter(due_on__lte=due_before)
    if after is not None:
        mark = load_promise(business, after, "after")
        rows = rows.filter(Q(due_on__gt=mark.due_on) | Q(due_on=mark.due_on, id__gt=mark.id))
    return _page(rows, limit, lambda p: promise_out(p, business, today))


@promises.get("/{id}", response=PromiseOut, summary="Get")
def get_promise(request, id: str):  # noqa: A002
    return _promise_answer(business_of(request), id)


@promises.post("/{id}/kept", response=PromiseOut, summary="Mark kept")
def promise_kept(request, id: str, payload: KeptIn):  # noqa: A002
    """You kept your word. Send an empty object, `{}`. Only an open promise can be settled."""
    business = business_of(request)
    try:
        agenda_services.keep_promise(load_promise(business, id))
    except ValidationError as exc:
        raise FieldErrors(exc) from None
    return _promise_answer(business, id)


@promises.post("/{id}/broken", response=PromiseOut, summary="Mark broken")
def promise_broken(request, id: str, payload: BrokenIn):  # noqa: A002
    """The day passed or you could not do it: say what you told the customer (`note`) and,
    if you like, what you offered to make up for it (`make_good`). Only an open promise can
    be settled."""
    business = business_of(request)
    try:
        agenda_services.break_promise(load_promise(business, id), payload.note,
                                      payload.make_good)
    except ValidationError as exc:
        pairs = [("note" if field == "honest_note" else field, message)
                 for field, message in errors.django_errors(exc)]
        raise ApiError(422, *pairs[0]) from None
    return _promise_answer(business, id)


# --------------------------------------------------------------------------- playbooks


def playbook_out(playbook: Playbook) -> dict:
    return {
        "id": playbook.public_id, "slug": playbook.slug, "name": playbook.name,
        "description": playbook.description, "is_active": playbook.is_active,
        "steps": [
            {"id": s.public_id, "position": s.position, "name": s.name, "anchor": s.anchor,
             "offset_days": s.offset_days, "offset_hours": s.offset_hours,
             "local_time": s.local_time, "repeat_every_days": s.repeat_every_days,
             "repeat_until": s.repeat_until, "channel": s.channel, "stage": s.stage,
             "element": s.element, "purpose": s.purpose, "subject": s.subject,
             "body": s.body}
            for s in playbook.steps.all()
        ],
    }


def load_playbook(business, public_id: str, field: str = "id") -> Playbook:
    playbook = _scoped(Playbook, business, public_id)
    if playbook is None:
        raise NotFound(field, "No playbook with this id.")
    return playbook


@playbooks.get("", response=PlaybookPage, summary="List")
def list_playbooks(request, is_active: bool | None = None, limit: int = Limit,
                   after: PublicId | None = None):
    """Your playbooks with their steps, in the order they were created. Read-only: edit
    them in the app."""
    business = business_of(request)
    rows = Playbook.objects.filter(business=business).prefetch_related("steps").order_by("id")
    if is_active is not None:
        rows = rows.filter(is_active=is_active)
    if after is not None:
        rows = rows.filter(id__gt=load_playbook(business, after, "after").id)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"items": [playbook_out(p) for p in page],
            "next": page[-1].public_id if more else None}


@playbooks.get("/{id}", response=PlaybookOut, summary="Get")
def get_playbook(request, id: str):  # noqa: A002
    return playbook_out(load_playbook(business_of(request), id))


ROUTERS = {"customers": customers, "engagements": engagements, "touchpoints": touchpoints,
           "playbooks": playbooks, "feedback": feedback, "incidents": incidents,
           "promises": promises}
for _prefix, _router in ROUTERS.items():
    api.add_router(f"/{_prefix}", _router)
