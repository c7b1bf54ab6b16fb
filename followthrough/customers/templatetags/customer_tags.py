import phonenumbers
from django import template

from followthrough.customers.services import can_text

register = template.Library()


@register.filter
def phone_display(e164: str) -> str:
    """+442079460001 → +44 20 7946 0001: stored in E.164, shown the way people read it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def landline(e164: str) -> bool:
    """A number kept for calls only: texts are not sent to it."""
    return bool(e164) and not can_text(e164)
