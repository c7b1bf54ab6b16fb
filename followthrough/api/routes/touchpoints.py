from typing import Literal

from django.core.exceptions import ValidationError
from ninja import Field, Router

from followthrough.api.auth import business_of
from followthrough.api.errors import FieldErrors
from followthrough.api.lists import Limit, in_range, keyset_after, local, page_of
from followthrough.api.loaders import load_engagement, load_touchpoint, of_customer
from followthrough.api.schemas import (
    OutcomeIn,
    PublicId,
    TouchpointOut,
    TouchpointPage,
    TouchpointStatus,
    When,
)
from followthrough.touchpoints import services as touchpoint_services
from followthrough.touchpoints.models import Touchpoint

router = Router(tags=["touchpoints"])


def touchpoint_out(touchpoint: Touchpoint, business) -> dict:
    return {
        "id": touchpoint.public_id,
        "step": touchpoint.name,
        "channel": touchpoint.channel,
        "stage": touchpoint.stage,
        "element": touchpoint.element,
        "purpose": touchpoint.purpose,
        "status": touchpoint.status,
        "due_at": local(business, touchpoint.due_at),
        "local_date": touchpoint.local_date,
        "local_time": touchpoint.local_time,
        "moved_reason": touchpoint.reason_text,
        "reason_code": touchpoint.reason_code,
        "origin": touchpoint.origin,
        "engagement": touchpoint.engagement.public_id if touchpoint.engagement_id else None,
        "customer": touchpoint.customer.public_id,
    }


@router.get("", response=TouchpointPage, summary="List")
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
    rows = of_customer(rows, business, customer)
    if status is not None:
        rows = rows.filter(status=status)
    if channel is not None:
        rows = rows.filter(channel=channel)
    rows = in_range(rows, "due_at", due_after, due_before)
    if after is not None:
        rows = keyset_after(rows, load_touchpoint(business, after, "after"), "due_at")
    return page_of(rows, limit, lambda t: touchpoint_out(t, business))


@router.get("/{id}", response=TouchpointOut, summary="Get")
def get_touchpoint(request, id: str):  # noqa: A002
    business = business_of(request)
    return touchpoint_out(load_touchpoint(business, id), business)


class DoneIn(OutcomeIn):
    when: When | None = Field(
        None, description="When it really happened (ISO 8601 with offset), for a touch "
                          "logged late; not in the future. Default: now.")


def _act_on_touch(request, id: str, action, note: str, **extra) -> dict:  # noqa: A002
    business = business_of(request)
    touchpoint = load_touchpoint(business, id)
    try:
        action(touchpoint, None, note, **extra)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "outcome_note" in exc.error_dict:  # the API's `note`
            exc.error_dict["note"] = exc.error_dict.pop("outcome_note")
        raise FieldErrors(exc) from None
    return touchpoint_out(load_touchpoint(business, id), business)


@router.post("/{id}/done", response=TouchpointOut, summary="Mark a personal touch done")
def touch_done(request, id: str, payload: DoneIn):  # noqa: A002
    """A person made the call, wrote the card or paid the visit: the touchpoint becomes
    `done`, with your `note` on how it went, at `when` (default now). Planned personal
    touches (call, card, visit, social, chat) can be marked done, and so can missed ones,
    logged late with the time they happened; emails and texts are sent by Followthrough."""
    return _act_on_touch(request, id, touchpoint_services.complete_touch, payload.note,
                         when=payload.when)


@router.post("/{id}/skip", response=TouchpointOut, summary="Skip a touch")
def touch_skip(request, id: str, payload: OutcomeIn):  # noqa: A002
    """The touch will not happen: the touchpoint becomes `skipped`, with your `note` on why.
    Only planned touchpoints can be skipped."""
    return _act_on_touch(request, id, touchpoint_services.skip_touch, payload.note)
