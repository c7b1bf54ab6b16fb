from ninja import Router

from followthrough.api.auth import business_of
from followthrough.api.errors import ApiError
from followthrough.api.lists import Limit, in_range, keyset_after, local, page_of
from followthrough.api.loaders import load_incident, of_customer
from followthrough.api.schemas import (
    IncidentOut,
    IncidentPage,
    IncidentReason,
    PublicId,
    ResolveIn,
    When,
)
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Incident

router = Router(tags=["incidents"])


def incident_out(incident: Incident, business) -> dict:
    return {
        "id": incident.public_id,
        "customer": incident.customer.public_id,
        "feedback": incident.response.public_id if incident.response else None,
        "reason": incident.reason,
        "summary": incident.summary,
        "is_open": incident.is_open,
        "opened_at": local(business, incident.opened_at),
        "resolved_at": local(business, incident.resolved_at),
        "resolution_note": incident.resolution_note,
    }


@router.get("", response=IncidentPage, summary="List")
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
    rows = of_customer(rows, business, customer)
    if reason is not None:
        rows = rows.filter(reason=reason)
    rows = in_range(rows, "opened_at", opened_after, opened_before)
    if after is not None:
        rows = keyset_after(rows, load_incident(business, after, "after"), "opened_at",
                            descending=True)
    return page_of(rows, limit, lambda i: incident_out(i, business))


@router.get("/{id}", response=IncidentOut, summary="Get")
def get_incident(request, id: str):  # noqa: A002
    business = business_of(request)
    return incident_out(load_incident(business, id), business)


@router.post("/{id}/resolve", response=IncidentOut, summary="Resolve")
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
