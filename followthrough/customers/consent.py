"""The consent ledger: reading it, writing it, and the unsubscribe link's token.

Transactional messages need no opt-in. Relationship messages go to existing customers
until they opt out. Marketing messages need an explicit, recorded opt-in.

The suppression list is final and comes before all of that: an address on it (an erased
customer's, or one that asked to stop everything, or a hard bounce) gets nothing, receipts
and job messages included, until an owner deliberately lifts it (lift_suppression, which
is audited)."""

import hashlib
import re
from collections.abc import Iterable, Sequence

from django.core import signing

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import ConsentEvent, Customer, Suppression
from followthrough.tenants import audit

UNSUBSCRIBE_SALT = "followthrough.unsubscribe"


def _allowed(purpose: str, granted: bool | None, channel_stopped: bool = False) -> bool:
    """The one consent rule, given the newest ledger answer for the purpose (None: none yet).

    A withdrawal recorded for transactional messages (STOP by text, an old bounce) stops
    every message on that channel: the address or number takes none at all."""
    if channel_stopped:
        return False
    if purpose == v.TRANSACTIONAL:
        return True
    if purpose == v.MARKETING:
        return granted is True
    return granted is not False


def newest_many(events) -> dict[tuple[int, str, str], bool]:
    """Newest consent wins: the ledger's last word per (customer id, channel, purpose), read
    from a queryset of ConsentEvent rows. The only place the ledger is reduced."""
    newest: dict[tuple[int, str, str], bool] = {}
    rows = events.order_by("at", "id").values_list("customer_id", "channel", "purpose", "granted")
    for customer_id, channel, purpose, granted in rows:
        newest[(customer_id, channel, purpose)] = granted
    return newest


def newest(customer: Customer, channel: str, purpose: str) -> bool | None:
    """The ledger's last word for one customer, channel and purpose (None: nothing yet)."""
    events = ConsentEvent.objects.filter(customer=customer, channel=channel, purpose=purpose)
    return newest_many(events).get((customer.pk, channel, purpose))


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
    newest = newest_many(ConsentEvent.objects.filter(
        customer=customer, channel=channel, purpose__in={purpose, v.TRANSACTIONAL}))
    key = (customer.pk, channel, purpose)
    stopped = newest.get((customer.pk, channel, v.TRANSACTIONAL)) is False
    return _allowed(purpose, newest.get(key), stopped)


def may_contact_many(wanted: Iterable[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
    """The (customer id, channel, purpose) triples that may be contacted, in three queries
    however many: the worker asks this once a batch instead of once a message."""
    return reach_many(wanted)[1]


# What refusals_of() reads of each customer.
REACH_FIELDS = ("pk", "business_id", "email", "phone", "erasure")


def reach_many(wanted: Iterable[tuple[int, str, str]],
               ) -> tuple[set[int], set[tuple[int, str, str]]]:
    """(the customers no one may contact at all, as do_not_contact() says; the wanted
    (customer id, channel, purpose) triples that may be contacted, as may_contact() says),
    reading each customer, the list and the ledger once: the worker asks this once a batch
    instead of once a message."""
    wanted = set(wanted)
    ids = {c for c, _, _ in wanted}
    if not ids:
        return set(), set()
    rows = Customer.objects.filter(pk__in=ids).values_list(*REACH_FIELDS)
    blocked, suppressed = _listed(rows)
    if not wanted:
        return blocked, set()
    newest = newest_many(ConsentEvent.objects.filter(
        customer_id__in={c for c, _, _ in wanted},
        purpose__in={p for _, _, p in wanted} | {v.TRANSACTIONAL}))
    return blocked, {(customer_id, channel, purpose)
                     for customer_id, channel, purpose in wanted
                     if _reaches(customer_id, channel, purpose, suppressed, newest)}


def refusals_of(customers: Iterable[Sequence], asks: Iterable[tuple[str, str]],
                ) -> tuple[set[int], dict[int, frozenset[tuple[str, str]]]]:
    """The same rules for the same (channel, purpose) asks of every customer (REACH_FIELDS
    rows): (the customers no one may contact at all; customer id → the asks they may not
    get, for those who may not get some). A customer with no word in the ledger and no
    address on the list gets the answer worked out once for all of them: the bulk planner
    asks this of thousands of customers at a time, most of them new."""
    customers, asks = list(customers), set(asks)
    blocked, suppressed = _listed(customers)
    if not asks:
        return blocked, {}
    newest = newest_many(ConsentEvent.objects.filter(
        customer_id__in={row[0] for row in customers},
        purpose__in={p for _, p in asks} | {v.TRANSACTIONAL}))
    spoken = {c for c, _, _ in newest} | {c for c, _ in suppressed}
    blank = frozenset((ch, p) for ch, p in asks if not _reaches(None, ch, p, set(), {}))
    refused = {}
    for customer_id, *_ in customers:
        no = blank if customer_id not in spoken else frozenset(
            (ch, p) for ch, p in asks
            if not _reaches(customer_id, ch, p, suppressed, newest))
        if no:
            refused[customer_id] = no
    return blocked, refused


def _reaches(customer_id: int | None, channel: str, purpose: str,
             suppressed: set[tuple[int, str]], newest: dict) -> bool:
    return (customer_id, channel) not in suppressed and _allowed(
        purpose, newest.get((customer_id, channel, purpose)),
        newest.get((customer_id, channel, v.TRANSACTIONAL)) is False)


def _listed(rows) -> tuple[set[int], set[tuple[int, str]]]:
    """From (pk, business id, email, phone, erasure id) rows: the customers on the
    do-not-contact list (erased, or listed for a reason other than a bounce), and the
    (customer id, channel) pairs whose address is on the suppression list at all."""
    blocked: set[int] = set()
    wanted: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for pk, business_id, email, phone, erasure in rows:
        if erasure is not None:
            blocked.add(pk)
        for channel, address in ((kinds.EMAIL, email), (kinds.SMS, phone)):
            if address:
                key = (business_id, address_hash(channel, address))
                wanted.setdefault(key, []).append((pk, channel))
    if not wanted:
        return blocked, set()
    suppressed: set[tuple[int, str]] = set()
    listed = Suppression.objects.filter(
        business_id__in={b for b, _ in wanted}, address_hash__in={h for _, h in wanted},
    ).values_list("business_id", "address_hash", "channel", "reason")
    for business_id, hashed, channel, reason in listed:
        for pk, address_channel in wanted.get((business_id, hashed), ()):
            if address_channel == channel:
                suppressed.add((pk, channel))
            if reason != Suppression.BOUNCED:
                blocked.add(pk)
    return blocked, suppressed


def suppress_bounced(customer: Customer) -> None:
    """A hard bounce (a provider's webhook, or the SMTP server's 550 to the worker) is a
    delivery fact, not a choice the person made: the address goes on the email suppression
    list with reason "bounced", and the ledger stays as they left it."""
    suppress(customer, kinds.EMAIL, Suppression.BOUNCED)


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
