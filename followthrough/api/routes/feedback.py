from ninja import Query, Router

from followthrough.api.auth import business_of
from followthrough.api.lists import Limit, in_range, keyset_after, local, page_of
from followthrough.api.loaders import load_engagement, load_feedback, of_customer
from followthrough.api.schemas import FeedbackOut, FeedbackPage, PublicId, When
from followthrough.feedback.models import SurveyResponse

router = Router(tags=["feedback"])


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
        "created_at": local(business, response.created_at),
        "updated_at": local(business, response.updated_at),
    }


@router.get("", response=FeedbackPage, summary="List")
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
    rows = of_customer(rows, business, customer)
    if engagement is not None:
        rows = rows.filter(engagement=load_engagement(business, engagement, "engagement"))
    rows = in_range(rows, "nps", nps_min, nps_max, inclusive=True)
    rows = in_range(rows, "csat", csat_min, csat_max, inclusive=True)
    rows = in_range(rows, "created_at", received_after, received_before)
    if after is not None:
        rows = keyset_after(rows, load_feedback(business, after, "after"), "created_at",
                            descending=True)
    return page_of(rows, limit, lambda r: feedback_out(r, business))


@router.get("/{id}", response=FeedbackOut, summary="Get")
def get_feedback(request, id: str):  # noqa: A002
    business = business_of(request)
    return feedback_out(load_feedback(business, id), business)
