from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from ninja import Router, Status

from followthrough.api.auth import business_of
from followthrough.api.errors import ApiError, FieldErrors
from followthrough.api.lists import Limit, in_range, keyset_after, local, page_of
from followthrough.api.loaders import load_customer
from followthrough.api.schemas import CustomerIn, CustomerOut, CustomerPage, PublicId, Text, When
from followthrough.customers import services as customer_services
from followthrough.customers.models import Customer
from followthrough.feedback.referrals import attribute, referrer_for

router = Router(tags=["customers"])


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
        "referral_code": customer.referral_code,
        "referred_by": customer.referred_by.public_id if customer.referred_by_id else None,
        "created_at": local(zone_of, customer.created_at),
        "updated_at": local(zone_of, customer.updated_at),
    }


def upsert(business, data: dict, prefix: str = "") -> tuple[Customer, bool]:
    """Create or update the customer; with a `referral_code`, credit its owner. Call inside
    a transaction: a refused referral raises after the customer was written."""
    if data.get("external_id") is None:
        data.pop("external_id", None)
    code = (data.pop("referral_code", None) or "").strip()
    referrer = None
    if code:
        referrer = referrer_for(business, code)
        if referrer is None:
            raise ApiError(422, f"{prefix}referral_code",
                           "No customer of this business has this referral code.")
    try:
        customer, created = customer_services.upsert_customer(business, data)
    except ValidationError as exc:
        raise FieldErrors(exc, prefix) from None
    if referrer is not None:
        if referrer.pk == customer.pk:
            raise ApiError(422, f"{prefix}referral_code", "A customer can't refer themselves.")
        # A new customer, or one nobody referred yet; an earlier referrer keeps the credit.
        if created or customer.referred_by_id is None:
            attribute(customer, referrer)
    return customer, created


@router.post("", response={200: CustomerOut, 201: CustomerOut}, summary="Create or update")
def create_customer(request, payload: CustomerIn):
    """Creates a customer, or updates the one with the same `external_id` (200).
    Only the fields you send are written. `referral_code` (another customer's code) credits
    that customer with the referral and plans a thank-you card to them; an unknown code is a
    422 on `referral_code` and saves nothing."""
    business = business_of(request)
    try:
        with transaction.atomic():
            customer, created = upsert(business, payload.model_dump(exclude_unset=True))
    except IntegrityError:
        # Two requests raced to create the same external_id; the other one won.
        raise ApiError(409, "external_id", "A customer with this external_id was created "
                       "at the same moment; send the request again.") from None
    return Status(201 if created else 200, customer_out(customer))


@router.get("", response=CustomerPage, summary="List")
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
    rows = (Customer.objects.filter(business=business)
            .select_related("business", "referred_by").order_by("id"))
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
            "business", "referred_by").order_by("id")
    rows = in_range(rows, "updated_at", updated_since)
    if after is not None:
        rows = keyset_after(rows, load_customer(business, after, "after"))
    return page_of(rows, limit, customer_out)


@router.get("/{id}", response=CustomerOut, summary="Get")
def get_customer(request, id: str):  # noqa: A002 - the path's name for it
    return customer_out(load_customer(business_of(request), id))
