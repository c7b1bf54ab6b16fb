"""The JSON API, v1. See docs/api.md for the guide; /api/v1/docs for the reference.

Every route authenticates with a business's API key and loads objects scoped to that
business, so another business's id is a 404, exactly like an id that does not exist.
Writes run in one transaction: a request either saves everything or nothing.
"""

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
    EventIn,
    PublicId,
    Text,
    TouchpointOut,
    TouchpointPage,
    TouchpointStatus,
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


def engagement_out(engagement: Engagement) -> dict:
    business = engagement.business
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
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Customers in the order they were created. Filter by `email` or `external_id`."""
    business = business_of(request)
    rows = Customer.objects.filter(business=business).select_related("business").order_by("id")
    if email is not None:
        rows = rows.filter(email__iexact=email)
    if external_id is not None:
        rows = rows.filter(external_id=external_id)
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
    limit: int = Limit,
    after: PublicId | None = None,
):
    """Touchpoints by due time. An `engagement` or `customer` that is not yours is a 404."""
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


ROUTERS = {"customers": customers, "engagements": engagements, "touchpoints": touchpoints}
for _prefix, _router in ROUTERS.items():
    api.add_router(f"/{_prefix}", _router)
