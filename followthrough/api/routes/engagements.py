from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from ninja import Router, Status

from followthrough import vocabulary as v
from followthrough.api.auth import business_of
from followthrough.api.errors import ApiError, FieldErrors, NotFound
from followthrough.api.lists import Limit, cut, in_range, keyset_after, local
from followthrough.api.loaders import load_customer, load_engagement, of_customer
from followthrough.api.routes.customers import upsert
from followthrough.api.routes.touchpoints import touchpoint_out
from followthrough.api.schemas import (
    EngagementCustomerIn,
    EngagementIn,
    EngagementOut,
    EngagementPage,
    EngagementStatus,
    EventIn,
    PublicId,
    Text,
    When,
)
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook
from followthrough.touchpoints import services as touchpoint_services
from followthrough.touchpoints.models import Touchpoint

router = Router(tags=["engagements"])


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


def _touchpoint_rows():
    return Touchpoint.objects.select_related("engagement", "customer").order_by("due_at", "id")


def engagement_out(engagement: Engagement, rows=None) -> dict:
    business = engagement.business
    if rows is None:
        rows = _touchpoint_rows().filter(engagement=engagement)
    return {
        "id": engagement.public_id,
        "external_id": engagement.external_id,
        "customer": engagement.customer.public_id,
        "playbook": engagement.playbook.slug if engagement.playbook else None,
        "kind": engagement.kind,
        "description": engagement.description,
        "value": engagement.value,
        "status": _engagement_status(engagement),
        "won_at": local(business, engagement.won_at),
        "started_at": local(business, engagement.started_at),
        "delivered_at": local(business, engagement.delivered_at),
        "closed_at": local(business, engagement.closed_at),
        "cancelled_at": local(business, engagement.cancelled_at),
        "created_at": local(business, engagement.created_at),
        "touchpoints": [touchpoint_out(t, business) for t in rows],
    }


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
    customer, _ = upsert(business, given, prefix="customer.")
    return customer


def _existing_engagement(business, external_id: str | None) -> Engagement | None:
    if external_id is None:
        return None
    return (
        Engagement.objects.select_related("business", "customer", "playbook")
        .filter(business=business, external_id=external_id)
        .first()
    )


@router.post("", response={200: EngagementOut, 201: EngagementOut}, summary="Create")
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


@router.get("", response=EngagementPage, summary="List")
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
    rows = of_customer(rows, business, customer)
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
    rows = in_range(rows, "won_at", won_after, won_before)
    if after is not None:
        rows = keyset_after(rows, load_engagement(business, after, "after"), "won_at",
                            descending=True)
    page, following = cut(rows, limit)
    by_engagement: dict[int, list] = {e.pk: [] for e in page}
    for row in _touchpoint_rows().filter(engagement_id__in=list(by_engagement)):
        by_engagement[row.engagement_id].append(row)
    return {
        "items": [engagement_out(e, by_engagement[e.pk]) for e in page],
        "next": following,
    }


@router.get("/{id}", response=EngagementOut, summary="Get")
def get_engagement(request, id: str):  # noqa: A002
    return engagement_out(load_engagement(business_of(request), id))


@router.post("/{id}/events", response=EngagementOut, summary="Record an event")
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
