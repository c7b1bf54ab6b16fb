"""Reading the consent ledger.

Transactional messages need no opt-in. Relationship messages go to existing customers
until they opt out. Marketing messages need an explicit, recorded opt-in."""

from followthrough.customers.models import ConsentEvent, Customer
from followthrough.playbooks import vocabulary as v


def latest_consent(customer: Customer, channel: str, purpose: str) -> ConsentEvent | None:
    return (
        ConsentEvent.objects.filter(customer=customer, channel=channel, purpose=purpose)
        .order_by("-at", "-id")
        .first()
    )


def may_contact(customer: Customer, channel: str, purpose: str) -> bool:
    if purpose == v.TRANSACTIONAL:
        return True
    event = latest_consent(customer, channel, purpose)
    if purpose == v.MARKETING:
        return bool(event and event.granted)
    return event is None or event.granted


def record_consent(customer: Customer, channel: str, purpose: str, granted: bool, source: str,
                   note: str = "") -> ConsentEvent:
    return ConsentEvent.objects.create(
        business=customer.business, customer=customer, channel=channel, purpose=purpose,
        granted=granted, source=source, note=note,
    )
