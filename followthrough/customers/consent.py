"""The consent ledger: reading it, writing it, and the unsubscribe link's token.

Transactional messages need no opt-in. Relationship messages go to existing customers
until they opt out. Marketing messages need an explicit, recorded opt-in."""

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


def unsuppress(customer: Customer, channel: str) -> None:
    """A fresh, explicit yes (a confirmed subscription) lifts an earlier suppression."""
    address = customer_address(customer, channel)
    Suppression.objects.filter(
        business_id=customer.business_id, channel=channel,
        address_hash=address_hash(channel, address),
    ).delete()


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
    # Suppression stops relationship and marketing; receipts and job messages still go.
    if purpose == v.TRANSACTIONAL:
        return True
    if _suppressed_ids([customer], {channel}):
        return False
    return _allowed(purpose, latest_consent(customer, channel, purpose))


def may_contact_many(wanted: Iterable[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
    """The (customer id, channel, purpose) triples that may be contacted, in one query:
    the worker asks this once a batch instead of once a message."""
    wanted = set(wanted)
    latest: dict[tuple[int, str, str], ConsentEvent] = {}
    events = ConsentEvent.objects.filter(customer_id__in={c for c, _, _ in wanted})
    for event in events.order_by("at", "id"):
        latest[(event.customer_id, event.channel, event.purpose)] = event
    asked = [k for k in wanted if k[2] != v.TRANSACTIONAL]
    customers = Customer.objects.filter(pk__in={c for c, _, _ in asked}).only(
        "pk", "business_id", "email", "phone"
    )
    suppressed = _suppressed_ids(customers, {ch for _, ch, _ in asked}) if asked else set()
    return {
        key for key in wanted
        if key[2] == v.TRANSACTIONAL
        or ((key[0], key[1]) not in suppressed and _allowed(key[2], latest.get(key)))
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
