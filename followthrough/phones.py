"""Phone numbers: the one parser behind every form, the API and imports.

A number is stored in E.164 (+442079460999). One written the way people write it at home
("020 7946 0999") is read as a number of the business's own country; one from anywhere
else starts with + and its country code. Without a country, only + numbers are accepted:
guessing a country would text the wrong person."""

import phonenumbers
from django.core.exceptions import ValidationError

INTERNATIONAL_HINT = "Use international format starting with +, for example +44 20 7946 0958."


def parse_phone(raw: str, region: str = "") -> str:
    """`raw` in E.164, or ValidationError saying how to write it. Blank stays blank.
    `region` is an ISO country code (GB, US) for numbers written without +."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    region = (region or "").upper()
    if not raw.startswith("+") and not region:
        raise ValidationError(INTERNATIONAL_HINT)
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"This is not a phone number. {phone_hint(region)}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"This is not a valid phone number. {phone_hint(region)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_hint(region: str = "") -> str:
    """How to write a number, with the country's own example: "For example 0121 234 5678,
    or from abroad +44 121 234 5678"."""
    example = phonenumbers.example_number(region.upper()) if region else None
    if example is None:
        return INTERNATIONAL_HINT
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    return (f"For example {national}. A number from another country starts with + and "
            "its country code.")


def region_of(phone: str) -> str:
    """The country of a number written with + ("+442079460999" → "GB"), or ""."""
    if not (phone or "").startswith("+"):
        return ""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone, None)) or ""
    except phonenumbers.NumberParseException:
        return ""
