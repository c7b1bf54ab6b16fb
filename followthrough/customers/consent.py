"""The consent ledger: reading it, writing it, and the unsubscribe link's token.

Transactional messages need no opt-in. Relationship messages go to existing customers
until they opt out. Marketing messages need an explicit, recorded opt-in."""

from collections.abc import Iterable

from django.core import signing

from followthrough.customers.models import ConsentEvent, Customer
from followthrough.playbooks import vocabulary as v

UNSUBSCRIBE_SALT = "followthrough.unsubscribe"


def _allowed(purpose: str, latest: ConsentEvent | None) -> bool:
    if purpose == v.TRANSACTIONAL:
        return True
    if purpose == v.MARKETING:
        return bool(latest and latest.granted)
    return latest is None or latest.granted


def latest_consent(customer: Customer, channel: str, purpose: str) -> ConsentEvent | None:
    return (
        ConsentEvent.objects.filter(customer=customer, channel=channel, purpose=purpose)
        .order_by("-at", "-id")
        .first()
    )


def may_contact(customer: Customer, channel: str, purpose: str) -> bool:
    if purpose == v.TRANSACTIONAL:
        return True
    return _allowed(purpose, latest_consent(customer, channel, purpose))


def may_contact_many(wanted: Iterable[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
    """The (customer id, channel, purpose) triples that may be contacted, in one query:
    the worker asks this once a batch instead of once a message."""
    wanted = set(wanted)
    latest: dict[tuple[int, str, str], ConsentEvent] = {}
    events = ConsentEvent.objects.filter(customer_id__in={c for c, _, _ in wanted})
    for event in events.order_by("at", "id"):
        latest[(event.customer_id, event.channel, event.purpose)] = event
    return {key for key in wanted if _allowed(key[2], latest.get(key))}


def record_consent(customer: Customer, channel: str, purpose: str, granted: bool, source: str,
                   note: str = "") -> ConsentEvent:
    return ConsentEvent.objects.create(
        business=customer.business, customer=customer, channel=channel, purpose=purpose,
        granted=granted, source=source, note=note,
    )


def unsubscribe_token(customer: Customer, purpose: str) -> str:
    # A signed "customer public id.purpose" rather than a stored token: the public id holds
    # 128 random bits and the HMAC makes the token unforgeable, and the purpose is inside the
    # signature, so a relationship-mail link can't withdraw any other consent.
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign(f"{customer.public_id}.{purpose}")


def read_unsubscribe_token(token: str, max_age=None) -> tuple[str, str]:
    """(customer public id, purpose); raises django.core.signing.BadSignature."""
    value = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign(token, max_age=max_age)
    public_id, _, purpose = value.rpartition(".")
    return public_id, purpose
