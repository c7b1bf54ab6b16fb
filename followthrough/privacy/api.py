"""GDPR routes on the v1 API: /api/v1/privacy/customers/{id}/export, …/erase, and the
do-not-contact list (…/suppression, …/suppression/lift).

Mounted on the existing NinjaAPI from PrivacyConfig.ready() (api.add_router), so the API
app needs no change: ready() runs before the URL configuration is first loaded."""

from ninja import Router, Schema

from followthrough.api.auth import business_of
from followthrough.api.errors import ApiError, NotFound
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import Customer
from followthrough.privacy import services
from followthrough.tenants import audit

router = Router(tags=["privacy"])


def _customer(request, id: str) -> Customer:  # noqa: A002
    customer = (Customer.objects.select_related("business")
                .filter(business=business_of(request), public_id=id).first())
    if customer is None:
        raise NotFound("id", "No customer with this id.")
    return customer


@router.get("/customers/{id}/export", summary="Export a customer's data (GDPR)",
            response=dict)
def export_customer(request, id: str):  # noqa: A002
    """Everything held about the customer, as JSON: the same file as the Export button."""
    customer = _customer(request, id)
    audit.record(request, customer.business, "customer.export", target=customer,
                 changes={"via": "api"})
    return services.export_customer(customer)


@router.post("/customers/{id}/erase", summary="Erase a customer's personal data (GDPR)",
             response=dict)
def erase_customer(request, id: str):  # noqa: A002
    """Removes the customer's personal data, keeps counts, and suppresses the address so
    it is never messaged again. Cannot be undone."""
    customer = _customer(request, id)
    erasure = services.erase_customer(request, customer)
    return {"id": customer.public_id, "erased_at": erasure.erased_at.isoformat()}


class LiftIn(Schema):
    # Checked in the view, after the customer: another business's id answers 404 whatever
    # the body holds.
    channel: str = ""


@router.get("/customers/{id}/suppression", summary="Is the customer on the do-not-contact list?",
            response=dict)
def suppression(request, id: str):  # noqa: A002
    """The channels (email, sms) on which the customer's address is on the do-not-contact
    list: nothing at all is sent there, receipts and job messages included."""
    customer = _customer(request, id)
    return {"id": customer.public_id, "channels": consent.suppressed_channels(customer)}


@router.post("/customers/{id}/suppression/lift",
             summary="Take the customer's address off the do-not-contact list", response=dict)
def lift_suppression(request, id: str, payload: LiftIn):  # noqa: A002
    """A deliberate choice by the business: the address may be messaged again (consent
    still applies). Recorded in the audit log."""
    customer = _customer(request, id)
    if payload.channel not in kinds.AUTOMATED:
        raise ApiError(400, "channel", "Choose email or sms.")
    lifted = consent.lift_suppression(request, customer, payload.channel)
    return {"id": customer.public_id, "channel": payload.channel, "lifted": lifted}


def mount() -> None:
    from followthrough.api.api import api

    if not any(prefix == "/privacy" for prefix, _ in api._routers):
        api.add_router("/privacy", router)
