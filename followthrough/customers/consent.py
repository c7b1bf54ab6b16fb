"""The consent ledger: reading it, writing it, and the unsubscribe link's token.

Transactional messages need no opt-in. Relationship messages go to existing customers
until they opt out. Marketing messages need an explicit, recorded opt-in.

The suppression list is final and comes before all of that: an address on it (an erased
customer's, or one that asked to stop everything, or a hard bounce) gets nothing, receipts
and job messages included, until an owner deliberately lifts it (lift_suppression, which
is audited)."""

import hashlib
import re
from collections.abc import Iterable

from django.core import signing

from followthrough.channels import kinds
from followthrough.customers.models import ConsentEvent, Customer, Suppression
from followthrough.playbooks import vocabulary as v
from followthrough.tenants import audit

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


def address_hash(channel: str, address: str) -> str:
    """sha256 of the normalised address: the suppression list never stores the address."""
    address = (address or "").strip().lower()
    if channel == kinds.SMS:
        address = re.sub(r"[^0-9+]", "", address)
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()


def customer_address(customer: Customer, channel: str) -> str:
    return customer.phone if channel == kinds.SMS else customer.email


def suppress(customer: Customer, channel: str, reason: str = Suppression.UNSUBSCRIBED) -> None:
    address = customer_address(customer, channel)
    if address:
        Suppression.objects.get_or_create(
            business_id=customer.business_id, address_hash=address_hash(channel, address),
            channel=channel, defaults={"reason": reason},
        )


def unsuppress(customer: Customer, channel: str) -> int:
    """Take the customer's address off the list; returns how many entries went. Only an
    owner's deliberate choice may call this: see lift_suppression."""
    address = customer_address(customer, channel)
    if not address:
        return 0
    return Suppression.objects.filter(
        business_id=customer.business_id, channel=channel,
        address_hash=address_hash(channel, address),
    ).delete()[0]


def lift_suppression(request_or_actor, customer: Customer, channel: str) -> bool:
    """An owner lets the customer's address be messaged again; audited. True if it was on
    the list. The audit entry names the customer and channel, never the address."""
    lifted = bool(unsuppress(customer, channel))
    if lifted:
        audit.record(request_or_actor, customer.business, "suppression.lift", target=customer,
                     changes={"channel": channel},
                     summary=f"Took a customer's {channel} off the do-not-contact list")
    return lifted


def suppressed_channels(customer: Customer) -> list[str]:
    """The channels on which the customer's address is on the do-not-contact list."""
    return sorted(channel for _, channel in _suppressed_ids([customer], set(kinds.AUTOMATED)))


def do_not_contact(customer: Customer) -> bool:
    """True for a customer no one should reach out to at all, by card, call or visit too:
    an erased customer, or one whose address is on the list because it was erased or asked
    to stop everything. A bounce alone only means the address is broken, so it stays out."""
    return customer.pk in do_not_contact_many([customer])


def do_not_contact_many(customers: Iterable[Customer]) -> set[int]:
    """do_not_contact() for many customers in two queries (the bulk planner's question)."""
    customers = [c for c in customers if c.pk]
    if not customers:
        return set()
    erased = set(Customer.objects.filter(pk__in=[c.pk for c in customers],
                                         erasure__isnull=False).values_list("pk", flat=True))
    wanted: dict[tuple[int, str], list[int]] = {}
    for customer in customers:
        for channel in kinds.AUTOMATED:
            address = customer_address(customer, channel)
            if address:
                key = (customer.business_id, address_hash(channel, address))
                wanted.setdefault(key, []).append(customer.pk)
    if not wanted:
        return erased
    rows = Suppression.objects.filter(
        business_id__in={b for b, _ in wanted}, address_hash__in={h for _, h in wanted},
    ).exclude(reason=Suppression.BOUNCED).values_list("business_id", "address_hash")
    return erased | {pk for row in rows for pk in wanted.get(tuple(row), ())}


def _suppressed_ids(customers: Iterable[Customer], channels: set[str]) -> set[tuple[int, str]]:
    """(customer id, channel) pairs whose address is on their business's suppression list."""
    wanted = {}
    for customer in customers:
        for channel in channels:
            address = customer_address(customer, channel)
            if address:
                key = (customer.business_id, address_hash(channel, address), channel)
                wanted.setdefault(key, []).append(customer.pk)
    if not wanted:
        return set()
    rows = Suppression.objects.filter(
        business_id__in={b for b, _, _ in wanted}, address_hash__in={h for _, h, _ in wanted}
    ).values_list("business_id", "address_hash", "channel")
    return {(pk, row[2]) for row in rows for pk in wanted.get(tuple(row), ())}


def may_contact(customer: Customer, channel: str, purpose: str) -> bool:
    # Suppression stops everything, receipts and job messages too ("never messaged again").
    if _suppressed_ids([customer], {channel}):
        return False
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
    customers = Customer.objects.filter(pk__in={c for c, _, _ in wanted}).only(
        "pk", "business_id", "email", "phone"
    )
    suppressed = _suppressed_ids(customers, {ch for _, ch, _ in wanted}) if wanted else set()
    return {
        key for key in wanted
        if (key[0], key[1]) not in suppressed
        and (key[2] == v.TRANSACTIONAL or _allowed(key[2], latest.get(key)))
    }


def record_consent(customer: Customer, channel: str, purpose: str, granted: bool, source: str,
                   note: str = "", proof: str = "") -> ConsentEvent:
    """Append to the ledger. `proof` is what shows it: an IP address and form, an import
    file's name, the link it came from."""
    event = ConsentEvent.objects.create(
        business=customer.business, customer=customer, channel=channel, purpose=purpose,
        granted=granted, source=source, note=note, proof=proof[:2000],
    )
    changes = {"channel": channel, "purpose": purpose, "granted": granted, "source": source}
    audit.record(None, customer.business, "consent.change", target=customer, changes=changes)
    return event


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
