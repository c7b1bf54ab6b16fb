"""Creating and updating customers from forms, the API and imports."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.phones import INTERNATIONAL_HINT, parse_phone
from followthrough.tenants.models import Business

TEXT_FIELDS = (
    "name", "email", "phone", "postal_address", "preferred_channel", "notes",
    "defining_moment", "tags",
)
FIELDS = (*TEXT_FIELDS, "external_id")
PHONE_HINT = INTERNATIONAL_HINT


def upsert_customer(business: Business, data: dict) -> tuple[Customer, bool]:
    """Create a customer, or update the one with the same external_id.

    Only the fields present in `data` change on update. Returns (customer, created).
    Raises ValidationError naming the field; nothing is saved unless everything is valid.
    """
    cleaned = _clean_input(data, business.phone_region)
    try:
        with transaction.atomic():
            return _upsert(business, cleaned)
    except IntegrityError:
        # Someone created the same external_id between our read and our insert: update it.
        with transaction.atomic():
            return _upsert(business, cleaned)


def _upsert(business: Business, cleaned: dict) -> tuple[Customer, bool]:
    customer = _existing(business, cleaned.get("external_id"))
    created = customer is None
    if created:
        customer = Customer(business=business)
    for name, value in cleaned.items():
        setattr(customer, name, value)
    _validate(customer)
    customer.save()
    return customer, created


def _existing(business: Business, external_id: str | None) -> Customer | None:
    if not external_id:
        return None
    return (
        Customer.objects.select_for_update()
        .filter(business=business, external_id=external_id)
        .first()
    )


def _clean_input(data: dict, region: str = "") -> dict:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    errors = {}
    cleaned = {}
    for name, value in data.items():
        if value is not None and not isinstance(value, str):
            errors[name] = "Give text."
            continue
        cleaned[name] = (value or "").strip()
    if cleaned.get("external_id") == "":
        cleaned["external_id"] = None
    if cleaned.get("email"):
        cleaned["email"] = _normalise_email(cleaned["email"])
    if cleaned.get("phone"):
        try:
            cleaned["phone"] = parse_phone(cleaned["phone"], region)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _normalise_email(email: str) -> str:
    # Domains are case-insensitive; the local part may not be, so it is kept as typed.
    local, at, domain = email.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else email


# The one phone parser lives in followthrough.phones; these names stay for the callers.
normalise_phone = parse_phone


# What a text cannot reach: a landline, and the numbers that only ring or charge. A number
# the plan cannot tell (FIXED_LINE_OR_MOBILE, as most of North America's are) may be texted.
NOT_TEXTABLE = frozenset({
    phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST, phonenumbers.PhoneNumberType.VOICEMAIL,
    phonenumbers.PhoneNumberType.UAN,
})


@lru_cache(maxsize=4096)
def can_text(phone: str) -> bool:
    """Whether a stored (E.164) number can take a text. A landline is kept for calls."""
    if not phone:
        return False
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) not in NOT_TEXTABLE


def _too_long(customer: Customer) -> dict:
    # full_clean checks max_length of CharFields only; TextFields need it done by hand.
    errors = {}
    for name in TEXT_FIELDS:
        field = Customer._meta.get_field(name)
        value = getattr(customer, name) or ""
        if field.max_length and len(value) > field.max_length:
            errors[name] = [f"Keep this under {field.max_length} characters."]
    return errors


def _validate(customer: Customer) -> None:
    errors = {}
    try:
        customer.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    errors.update({k: m for k, m in _too_long(customer).items() if k not in errors})
    if customer.preferred_channel == kinds.SMS and not customer.phone:
        errors.setdefault("preferred_channel", ["Text messages need a phone number."])
    if errors:
        raise ValidationError(errors)
