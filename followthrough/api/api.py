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

from followthrough.api import errors
from followthrough.api.auth import ApiKeyAuth, business_of
from followthrough.api.docs import LocalSwagger
from followthrough.api.errors import ApiError, FieldErrors, NotFound
from followthrough.api.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPage,
    EngagementCustomerIn,
    EngagementIn,
    EngagementOut,
    EngagementPage,
    EngagementStatus,
    EventIn,
    PlaybookOut,
    PlaybookPage,
    PublicId,
    Text,
    TouchpointOut,
    TouchpointPage,
    TouchpointStatus,
    When,
)
from followthrough.customers import services as customer_services
from followthrough.customers.models import Customer, Engagement
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


def load_customer(business, public_id: str, field: str = "id") -> Customer:
    customer = (
        Customer.objects.select_related("business")
        .filter(business=business, public_id=public_id)
        .first()
    )
    if customer is None:
        raise NotFound(field, "No customer with this id.")
    return customer


def load_engagement(business, public_id: str, field: str = "id") -> Engagement:
    engagement = (
        Engagement.objects.select_related("business", "customer", "playbook")
        .filter(business=business, public_id=public_id)
        .first()
    )
    if engagement is None:
        raise NotFound(field, "No engagement with this id.")
    return engagement


def load_touchpoint(business, public_id: str, field: str = "id") -> Touchpoint:
    touchpoint = (
        Touchpoint.objects.select_related("engagement", "customer")
        .filter(business=business, public_id=public_id)
        .first()
    )
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
    playbook = Playbook.objects.filter(business=business, public_id=public_id).first()
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
           "playbooks": playbooks}
for _prefix, _router in ROUTERS.items():
    api.add_router(f"/{_prefix}", _router)
