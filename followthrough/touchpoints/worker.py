"""The worker: sends due automated touchpoints. The touchpoint table is its queue.

One pass (`run_once`):

1. the reaper puts rows whose lease expired (their worker died mid-send) back to planned;
2. a batch of due rows is claimed with a conditional update, planned → sending, with a lease
   and a claim token (SELECT … FOR UPDATE SKIP LOCKED picks the rows on PostgreSQL; on SQLite
   the IMMEDIATE transaction holds the write lock from the pick to the update);
3. each row is re-checked just before sending: cancellation, consent, address, lateness and
   quiet hours can all have changed since it was planned;
4. the rest are rendered on the main thread and sent by a few threads, each over an SMTP
   connection kept open for the whole pass; while they send, the main thread claims and
   prepares the next batch, so at most two batches hold a lease at once;
5. the outcomes are written back in one executemany: sent, planned again with backoff, or
   failed. Rows whose lease we lost in the meantime are left to their new owner.

Delivery is at least once, honestly. A row becomes `sent` only after the SMTP server has
accepted the message; if the worker dies between the two, the lease runs out, the reaper
puts the row back and it is sent again. Duplicates can happen only for the rows in flight at
a crash, and a resend carries the same Message-ID, derived from the idempotency key.
"""

import datetime as dt
import logging
import math
import os
import queue
import re
import smtplib
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from email.utils import formataddr

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.db.models import F, OuterRef, Subquery
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from followthrough import events
from followthrough.channels import kinds
from followthrough.channels.rendering import render_subject, render_text, text_to_html
from followthrough.channels.transports import (
    OutgoingEmail,
    OutgoingSms,
    TransportError,
    classify,
    message_id_for,
    prepared,
    sendable_channels,
    transport_for,
)
from followthrough.customers import consent
from followthrough.customers.consent import may_contact_many
from followthrough.customers.models import ConsentEvent, Engagement, Suppression
from followthrough.env import env_int, env_str
from followthrough.playbooks import vocabulary as v
from followthrough.tenants.models import Business
from followthrough.text import clean_line
from followthrough.tokens import new_public_id
from followthrough.touchpoints import archive
from followthrough.touchpoints.merge import merge_context
from followthrough.touchpoints.models import (
    Lease,
    SendBudget,
    Status,
    Touchpoint,
    WorkerHeartbeat,
)
from followthrough.touchpoints.signals import worker_tick

log = logging.getLogger("followthrough.worker")

# Sent after every pass (report=PassReport); integrations deliver due webhooks on it.
pass_finished = Signal()

MAX_BACKOFF = dt.timedelta(hours=6)
REASON_LENGTH = 500
ON_HOLD = "Paused while an unhappy customer is won back."
UNSUBSCRIBED = "unsubscribed"
LOST_TOO_OFTEN = "Gave up: the worker stopped while sending this message too many times."
QUIET_HOURS = "quiet hours"
RESULT_FIELDS = [
    "status", "due_at", "moved_reason", "lease_until", "claimed_by", "attempts", "last_error",
    "outcome_note", "message_id", "rendered_subject", "rendered_body", "recipient",
    "completed_at", "updated_at",
]


@dataclass
class PassReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    reclaimed: int = 0
    cancelled: int = 0
    missed: int = 0
    moved: int = 0
    paused: int = 0
    # Claims cut short by a send-rate limit; the rest wait for the next second.
    throttled: int = 0

    @property
    def busy(self) -> bool:
        return any(asdict(self).values())

    def __str__(self) -> str:
        return " ".join(f"{name}={count}" for name, count in asdict(self).items())


# Claiming -----------------------------------------------------------------------------------

def due_rows(now: dt.datetime):
    # Exactly the condition of the partial index touchpoint_due_automated, so the query reads
    # only that index however many future or finished rows the table holds. The channel list
    # is written as SQL literals because SQLite matches a partial index's IN (...) only
    # against the same literals, never against bound parameters. They are our constants.
    quote = connection.ops.quote_name
    column = f"{quote(Touchpoint._meta.db_table)}.{quote('channel')}"
    channels = ", ".join(f"'{channel}'" for channel in sorted(kinds.AUTOMATED))
    return Touchpoint.objects.filter(status=Status.PLANNED, due_at__lte=now).extra(  # noqa: S610
        where=[f"{column} IN ({channels})"]
    )


def reap(now: dt.datetime) -> int:
    """Put rows whose lease expired back to planned; they will be sent (again).

    The lost attempt counts: a row that kills its worker every time (a crash, an
    out-of-memory kill) is failed after WORKER_MAX_ATTEMPTS instead of coming back for ever."""
    expired = Touchpoint.objects.filter(status=Status.SENDING, lease_until__lt=now)
    given_up = expired.filter(attempts__gte=settings.WORKER_MAX_ATTEMPTS - 1).update(
        status=Status.FAILED, lease_until=None, claimed_by="", updated_at=now,
        attempts=F("attempts") + 1, last_error=LOST_TOO_OFTEN,
    )
    if given_up:
        log.error("%d touchpoint(s) failed: the worker stopped while sending them %d times",
                  given_up, settings.WORKER_MAX_ATTEMPTS)
    return expired.update(
        status=Status.PLANNED, lease_until=None, claimed_by="", updated_at=now,
        attempts=F("attempts") + 1,
        last_error="The worker stopped before recording the send; sending again.",
    )


def claim(now: dt.datetime, limit: int,
          report: PassReport | None = None) -> tuple[str, list[Touchpoint]]:
    """Claim up to `limit` due rows for this pass; returns the claim token and the rows.

    Fair across businesses: the businesses with due rows take turns (the one waiting longest
    first), so one business's big import does not hold the others back. Send-rate limits
    (install-wide and per business) cap how many rows a claim may take."""
    token = new_public_id()
    # SMS rows stay planned (and unclaimed) until the SMS transport is configured.
    channels = sorted(sendable_channels())
    candidates = due_rows(now).filter(channel__in=channels)
    lock = connection.features.has_select_for_update_skip_locked
    if lock:
        candidates = candidates.select_for_update(skip_locked=True)
    with transaction.atomic():
        limits = RateLimits.load(now)
        ids = pick_fairly(candidates, channels, now, limits.install_allowance(limit), limits)
        if ids:
            Touchpoint.objects.filter(id__in=ids, status=Status.PLANNED).update(
                status=Status.SENDING, claimed_by=token, updated_at=now,
                lease_until=now + dt.timedelta(seconds=settings.WORKER_LEASE_SECONDS),
            )
        limits.spend(ids)
    if report is not None and limits.throttled:
        report.throttled += 1
    if not ids:
        return token, []
    rows = (
        Touchpoint.objects.filter(id__in=ids, claimed_by=token, status=Status.SENDING)
        .select_related("business", "customer", "engagement", "step")
        .order_by("due_at", "id")
    )
    return token, list(rows)


def businesses_waiting(channels: list[str], now: dt.datetime, limit: int) -> list[int]:
    """The ids of businesses with due rows, the one whose oldest due row is oldest first.
    One index seek per business (touchpoint_due_by_business)."""
    oldest = (
        Touchpoint.objects.filter(business_id=OuterRef("pk"), status=Status.PLANNED,
                                  channel__in=channels, due_at__lte=now)
        .order_by("due_at").values("due_at")[:1]
    )
    return list(
        Business.objects.annotate(oldest_due=Subquery(oldest))
        .filter(oldest_due__isnull=False).order_by("oldest_due", "id")
        .values_list("id", flat=True)[:max(limit, 1)]
    )


def pick_fairly(candidates, channels: list[str], now: dt.datetime, limit: int,
                limits: "RateLimits") -> list[int]:
    """Round-robin over the waiting businesses: an equal share each, then what is left over
    goes to the businesses that still have more."""
    if limit <= 0:
        return []
    businesses = businesses_waiting(channels, now, limit)
    if len(businesses) <= 1 and not limits.per_business:
        return list(candidates.order_by("due_at").values_list("id", flat=True)[:limit])
    picked: dict[int, list[int]] = {business: [] for business in businesses}
    hungry = list(businesses)
    for _round in range(3):
        room = limit - sum(len(ids) for ids in picked.values())
        if room <= 0 or not hungry:
            break
        share = max(1, room // len(hungry))
        still_hungry = []
        for business in hungry:
            want = min(share, room, limits.business_allowance(business, len(picked[business])))
            if want <= 0:
                continue
            rows = candidates.filter(business_id=business).exclude(id__in=picked[business])
            got = list(rows.order_by("due_at").values_list("id", flat=True)[:want])
            picked[business] += got
            room -= len(got)
            if len(got) == want:
                still_hungry.append(business)
            if room <= 0:
                break
        hungry = still_hungry
    return [row_id for ids in picked.values() for row_id in ids]


# Send-rate limits ---------------------------------------------------------------------------

def _business_overrides() -> dict[str, int]:
    """WORKER_BUSINESS_RATE_LIMITS: "slug=per_second,slug=per_second", for the businesses
    whose provider allows more (or less) than WORKER_BUSINESS_SENDS_PER_SECOND."""
    raw = getattr(settings, "WORKER_BUSINESS_RATE_LIMITS", None)
    if raw is None:
        raw = env_str("WORKER_BUSINESS_RATE_LIMITS", "")
    overrides = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        slug, _, rate = item.partition("=")
        try:
            overrides[slug.strip()] = int(rate)
        except ValueError:
            raise ValueError(f"WORKER_BUSINESS_RATE_LIMITS: {item!r} is not slug=number") from None
    return overrides


def setting_int(name: str, default: int) -> int:
    """A worker setting: from Django settings when defined there, else the environment."""
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default)


class RateLimits:
    """Token buckets in the database (SendBudget), shared by every worker, read and spent
    inside the claim's transaction. A bucket holds at most one second of sends."""

    def __init__(self, now: dt.datetime, install: int, per_business: int,
                 overrides: dict[str, int]):
        self.now = now
        self.install = install
        self.per_business = bool(per_business or overrides)
        self.default_business = per_business
        self.overrides = overrides
        self.rates: dict[int, int] = {}
        self.buckets: dict[str, SendBudget] = {}
        self.granted: dict[int, int] = {}
        self.throttled = False

    @classmethod
    def load(cls, now: dt.datetime) -> "RateLimits":
        limits = cls(now, setting_int("WORKER_MAX_SENDS_PER_SECOND", 0),
                     setting_int("WORKER_BUSINESS_SENDS_PER_SECOND", 0), _business_overrides())
        if limits.overrides:
            slugs = Business.objects.filter(slug__in=limits.overrides).values_list("id", "slug")
            limits.rates = {pk: limits.overrides[slug] for pk, slug in slugs}
        return limits

    def bucket(self, key: str, rate: int) -> SendBudget:
        if key not in self.buckets:
            budget, _ = SendBudget.objects.get_or_create(
                key=key, defaults={"tokens": rate, "refilled_at": self.now})
            budget = SendBudget.objects.select_for_update().get(pk=budget.pk)
            elapsed = max(0.0, (self.now - budget.refilled_at).total_seconds())
            budget.tokens = min(float(rate), budget.tokens + elapsed * rate)
            budget.refilled_at = max(self.now, budget.refilled_at)
            self.buckets[key] = budget
        return self.buckets[key]

    def install_allowance(self, limit: int) -> int:
        if self.install <= 0:
            return limit
        allowed = min(limit, math.floor(self.bucket("install", self.install).tokens))
        self.throttled = self.throttled or allowed < limit
        return allowed

    def business_allowance(self, business_id: int, taken: int) -> int:
        rate = self.rates.get(business_id, self.default_business)
        if rate <= 0:
            return 1 << 30
        left = math.floor(self.bucket(f"business:{business_id}", rate).tokens) - taken
        if left <= 0:
            self.throttled = True
        return max(0, left)

    def spend(self, ids: list[int]) -> None:
        if not self.buckets:
            return
        if "install" in self.buckets:
            self.buckets["install"].tokens -= len(ids)
        if ids and self.per_business:
            counts: dict[int, int] = {}
            for business_id in Touchpoint.objects.filter(id__in=ids).values_list(
                    "business_id", flat=True):
                counts[business_id] = counts.get(business_id, 0) + 1
            for business_id, count in counts.items():
                budget = self.buckets.get(f"business:{business_id}")
                if budget:
                    budget.tokens -= count
        for budget in self.buckets.values():
            budget.save(update_fields=["tokens", "refilled_at"])


# Re-checking --------------------------------------------------------------------------------

def quiet_hours_end(business, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours that `now` falls in end (UTC), or None outside quiet hours."""
    zone = business.zone
    local = now.astimezone(zone)
    start, end, time = business.quiet_hours_start, business.quiet_hours_end, local.time()
    if start < end:
        inside, end_date = start <= time < end, local.date()
    else:  # the quiet hours wrap midnight
        inside = time >= start or time < end
        end_date = local.date() + dt.timedelta(days=1) if time >= start else local.date()
    if not inside:
        return None
    # fold=0: an ambiguous end takes its first occurrence, a missing one moves past the gap.
    return dt.datetime.combine(end_date, end, tzinfo=zone).astimezone(dt.UTC)


def refresh_cancellations(rows: list[Touchpoint]) -> None:
    """Read cancellations again: the engagement may have been cancelled since the claim."""
    cancelled_at = dict(
        Engagement.objects.filter(id__in={row.engagement_id for row in rows})
        .values_list("id", "cancelled_at")
    )
    for row in rows:
        row.engagement.cancelled_at = cancelled_at.get(row.engagement_id)


def contactable(rows: list[Touchpoint]) -> set[int]:
    """The ids of the rows whose customer may be contacted, reading the ledger once a batch.

    A withdrawal recorded for transactional messages too (a hard bounce, or STOP by text)
    stops every message on that channel: the address or number cannot take any."""
    allowed = may_contact_many((row.customer_id, row.channel, row.purpose) for row in rows)
    blocked = suppressed({row.customer_id for row in rows})
    return {row.id for row in rows if (row.customer_id, row.channel, row.purpose) in allowed
            and (row.customer_id, row.channel) not in blocked}


def suppressed(customer_ids: set[int]) -> set[tuple[int, str]]:
    """(customer id, channel) pairs whose newest transactional ledger event withdraws."""
    latest: dict[tuple[int, str], bool] = {}
    rows = ConsentEvent.objects.filter(
        customer_id__in=customer_ids, purpose=v.TRANSACTIONAL
    ).order_by("at", "id").values_list("customer_id", "channel", "granted")
    for customer_id, channel, granted in rows:
        latest[(customer_id, channel)] = granted
    return {key for key, granted in latest.items() if not granted}


def recheck(row: Touchpoint, now: dt.datetime, may_contact_row: bool) -> str | None:
    """Settle a row that must not be sent now; returns its outcome, or None to send it."""
    business = row.business
    if row.engagement.cancelled_at:
        return _settle(row, Status.CANCELLED, "cancelled", note="The engagement was cancelled.")
    if not may_contact_row:
        return _settle(row, Status.SKIPPED, "skipped", note=UNSUBSCRIBED)
    if row.purpose == v.MARKETING and row.customer.marketing_hold:
        return _settle(row, Status.PAUSED, "paused", note=ON_HOLD)
    if row.channel == kinds.SMS and not row.customer.phone:
        return _settle(row, Status.FAILED, "failed", error="The customer has no phone number.")
    if row.channel == kinds.EMAIL and not row.customer.email:
        return _settle(row, Status.FAILED, "failed", error="The customer has no email address.")
    if now - row.due_at > dt.timedelta(days=business.catch_up_days):
        note = f"More than {business.catch_up_days} days late; not sent as a surprise."
        return _settle(row, Status.MISSED, "missed", note=note)
    quiet_end = quiet_hours_end(business, now)
    if quiet_end:
        row.due_at, row.moved_reason = quiet_end, QUIET_HOURS
        return _settle(row, Status.PLANNED, "moved")
    return None


def _settle(row: Touchpoint, status: str, outcome: str, note: str = "", error: str = "") -> str:
    row.status = status
    row.lease_until, row.claimed_by = None, ""
    if note:
        row.outcome_note = note
    if error:
        # Server replies are text from outside: one clean line, whatever they held.
        row.last_error = clean_line(error)[:REASON_LENGTH]
    return outcome


# Composing and sending ----------------------------------------------------------------------

def compose(row: Touchpoint) -> OutgoingEmail | OutgoingSms:
    """The message for a row, with a snapshot of what is sent kept on the row.

    A row that already holds its text (a maintenance reminder, a note written outside any
    playbook, a draft an owner edited before approving, or a retry) is sent as stored;
    otherwise the step's templates are rendered."""
    stored = bool(row.rendered_body.strip())
    if row.step is None and not stored:
        raise TransportError("The playbook step was deleted.", permanent=True)
    context = merge_context(row)
    if row.channel == kinds.SMS:
        return compose_sms(row, context)
    if stored:
        subject, text = row.rendered_subject or row.name, row.rendered_body
    else:
        try:
            subject = render_subject(row.step.subject, context)
            text = render_text(row.step.body, context)
        except Exception as exc:
            raise TransportError(f"The template cannot be rendered: {exc}",
                                 permanent=True) from exc
    business, customer = row.business, row.customer
    subject = clean_line(subject)  # a stored draft's subject too: a header is one line
    row.message_id = row.message_id or message_id_for(row.idempotency_key, business.from_email)
    row.recipient, row.rendered_subject, row.rendered_body = customer.email, subject[:300], text
    return prepared(OutgoingEmail(
        to=formataddr((customer.name, customer.email)), subject=subject, text=text,
        html=text_to_html(text), from_email=business.from_email, message_id=row.message_id,
        reply_to=business.reply_to_email, business_slug=business.slug,
        unsubscribe_url=context["unsubscribe_link"],
        postal_address=business.postal_address if context["unsubscribe_link"] else "",
        idempotency_key=row.idempotency_key,
    ))


SMS_STOP_HINT = "Reply STOP to opt out."


def compose_sms(row: Touchpoint, context: dict) -> OutgoingSms:
    """The step's body as plain text, signed with the business's name; relationship and
    marketing texts say how to opt out."""
    if row.rendered_body.strip():
        text = " ".join(row.rendered_body.split())
    else:
        try:
            text = " ".join(render_text(row.step.body, context).split())
        except Exception as exc:
            raise TransportError(f"The template cannot be rendered: {exc}",
                                 permanent=True) from exc
    business = row.business
    if not text.startswith(business.name) and business.name not in text:
        text = f"{business.name}: {text}"
    if row.purpose != v.TRANSACTIONAL and not text.endswith(SMS_STOP_HINT):
        text = f"{text} {SMS_STOP_HINT}"
    row.recipient, row.rendered_subject, row.rendered_body = row.customer.phone, "", text
    return OutgoingSms(
        to=row.customer.phone, body=text, from_number=settings.TWILIO_FROM,
        status_callback=settings.SITE_URL + reverse("sms_status"),
        idempotency_key=row.idempotency_key,
    )


class Dispatcher:
    """Sends on a few threads, each chunk over one of the pass's transports (SMTP sessions).

    The threads only talk SMTP; the main thread does all the database work, and prepares
    the next batch while the threads send this one."""

    def __init__(self, threads: int):
        # One set of transports (one per sendable channel) per thread.
        self.transports = [{channel: transport_for(channel) for channel in sendable_channels()}
                           for _ in range(max(1, threads))]
        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        for transport in self.transports:
            self.idle.put(transport)
        self.pool = None
        if len(self.transports) > 1:
            self.pool = ThreadPoolExecutor(len(self.transports), thread_name_prefix="send")

    def submit(self, items: list[tuple[int, OutgoingEmail | OutgoingSms]]) -> "Sending":
        n = len(self.transports)
        chunks = [items[i::n] for i in range(n) if items[i::n]]
        if self.pool is None or len(chunks) <= 1:
            return Sending([self._send(chunk, own_thread=False) for chunk in chunks])
        return Sending([self.pool.submit(self._send, chunk, True) for chunk in chunks])

    def send(self, items: list[tuple[int, OutgoingEmail]]) -> dict[int, TransportError | None]:
        return self.submit(items).results()

    def _send(self, chunk, own_thread: bool) -> dict[int, TransportError | None]:
        # One transport per running chunk: a session is never shared between two threads.
        transport = self.idle.get()
        try:
            return _send_chunk(transport, chunk, own_thread)
        finally:
            self.idle.put(transport)

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(wait=True)
        for transport_set in self.transports:
            for transport in transport_set.values():
                transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Sending:
    """The results of a submitted batch: futures from the pool, or plain dicts."""

    def __init__(self, parts: list):
        self.parts = parts

    def results(self) -> dict[int, TransportError | None]:
        merged: dict[int, TransportError | None] = {}
        for part in self.parts:
            try:
                merged.update(part.result() if isinstance(part, Future) else part)
            except Exception:
                # A send thread that died leaves its rows without a result: finish() retries
                # them (at least once), rather than losing the whole batch's outcomes.
                log.exception("a send thread failed")
        return merged


# What a send normally fails with; anything else is a bug or bad data, worth a traceback.
EXPECTED_SEND_ERRORS = (TransportError, smtplib.SMTPException, OSError)


def _send_chunk(transports, chunk, own_thread: bool) -> dict[int, TransportError | str | None]:
    """Send a chunk; a result is None (sent), the provider's message id (sent), or the
    TransportError."""
    results: dict[int, TransportError | str | None] = {}
    unreachable: dict[str, TransportError] = {}
    try:
        for key, outgoing in chunk:
            channel = outgoing.channel
            transport = transports.get(channel)
            if transport is None:
                results[key] = TransportError(f"The {channel} channel is not set up.")
                continue
            # When the server can't be reached, don't wait out a timeout per message.
            if channel not in unreachable:
                try:
                    transport.open()
                except TransportError as exc:
                    unreachable[channel] = exc
            if channel in unreachable:
                results[key] = unreachable[channel]
                continue
            try:
                returned = transport.send(outgoing)
                results[key] = returned if isinstance(returned, str) else None
            except Exception as exc:
                if not isinstance(exc, EXPECTED_SEND_ERRORS):
                    log.exception("a message could not be sent (idempotency key %s)",
                                  getattr(outgoing, "idempotency_key", ""))
                results[key] = classify(exc)
    finally:
        if own_thread:
            # An email backend that writes rows (the demo outbox) opened this thread's own
            # database connection; don't leave it dangling in the pool.
            connections.close_all()
    return results


# Recording ----------------------------------------------------------------------------------

def record_send(row: Touchpoint, error: TransportError | str | None, now: dt.datetime) -> str:
    row.attempts += 1
    if isinstance(error, str):  # the provider's id for the message (Twilio's SID)
        row.message_id, error = error[:200], None
    if error is None:
        row.completed_at, row.last_error = now, ""
        return _settle(row, Status.SENT, "sent")
    if error.permanent:
        return _settle(row, Status.FAILED, "failed", error=error.message)
    if row.attempts >= settings.WORKER_MAX_ATTEMPTS:
        message = f"Gave up after {row.attempts} attempts: {error.message}"
        return _settle(row, Status.FAILED, "failed", error=message)
    row.due_at = now + backoff(row.attempts)
    return _settle(row, Status.PLANNED, "retried", error=error.message)


def backoff(attempts: int) -> dt.timedelta:
    delay = dt.timedelta(seconds=settings.WORKER_BACKOFF_SECONDS * 2 ** (attempts - 1))
    return min(delay, MAX_BACKOFF)


def save(rows: list[Touchpoint], token: str, now: dt.datetime) -> None:
    """Write the outcomes, except for rows whose lease expired and were claimed again.

    One conditional UPDATE per row through executemany: Django's bulk_update builds a CASE
    per field and row, which cost more than the sending itself."""
    fields = [Touchpoint._meta.get_field(name) for name in RESULT_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Table and column names come from the model; every value is a parameter.
    table = quote(Touchpoint._meta.db_table)
    where = f"{quote('id')} = %s AND {quote('claimed_by')} = %s AND {quote('status')} = %s"
    sql = f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608
    params, kept = [], []
    for row in rows:
        row.updated_at = now
        try:
            values = [field.get_db_prep_save(getattr(row, field.attname), connection)
                      for field in fields]
        except Exception as exc:
            unsaveable(row, token, now, exc)
            continue
        params.append([*values, row.id, token, Status.SENDING])
        kept.append(row)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)
            saved = cursor.rowcount
    except DATABASE_DOWN:
        raise
    except Exception:
        # One row holds a value the database refuses (PostgreSQL and NUL, say): save the
        # rows one by one, so only that row is held back. Costs nothing when all are fine.
        saved = sum(_save_one(sql, values, row, token, now)
                    for row, values in zip(kept, params, strict=True))
    if 0 <= saved < len(params):
        log.warning("%d rows lost their lease before their outcome was saved",
                    len(params) - saved)


def _save_one(sql: str, values: list, row: Touchpoint, token: str, now: dt.datetime) -> int:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.rowcount
    except DATABASE_DOWN:
        raise
    except Exception as exc:
        unsaveable(row, token, now, exc)
        return 1


def unsaveable(row: Touchpoint, token: str, now: dt.datetime, exc: Exception) -> None:
    """Record what happened to a row whose outcome the database refused, writing only the
    fields the worker itself sets (the status stays honest: a sent message stays sent)."""
    log.exception("the outcome of touchpoint %s could not be saved", row.public_id)
    error = reason("The outcome of this message could not be saved", exc)
    status = row.status if row.status in dict(Status.CHOICES) else Status.FAILED
    Touchpoint.objects.filter(id=row.id, claimed_by=token, status=Status.SENDING).update(
        status=status, due_at=row.due_at if isinstance(row.due_at, dt.datetime) else now,
        completed_at=now if status == Status.SENT else None, lease_until=None, claimed_by="",
        last_error=error, updated_at=now, attempts=F("attempts") + 1,
    )


# Passes -------------------------------------------------------------------------------------

@dataclass
class Batch:
    token: str
    rows: list[Touchpoint]
    now: dt.datetime
    outcomes: list[str]
    ready: list[tuple[Touchpoint, OutgoingEmail]]
    sending: Sending | None = None


def prepare(rows: list[Touchpoint], token: str, now: dt.datetime) -> Batch:
    """Re-check every row, and compose the messages of those still to be sent."""
    batch = Batch(token, rows, now, outcomes=[], ready=[])
    refresh_cancellations(rows)
    allowed = contactable(rows)
    for row in rows:
        # One row's bad data (a header it cannot hold, a broken zone, a template that
        # fails) fails that row alone; the rest of the batch, any business's, still goes.
        try:
            outcome = recheck(row, now, row.id in allowed)
            if outcome is None:
                batch.ready.append((row, compose(row)))
                continue
        except TransportError as exc:
            outcome = record_send(row, exc, now)
        except Exception as exc:
            outcome = unbuildable(row, exc)
        batch.outcomes.append(outcome)
    return batch


def reason(prefix: str, exc: BaseException) -> str:
    """A short, one-line reason for the row; the traceback goes to the log only. Django's
    header check quotes the whole bad header; name the header instead, so the customer's
    data is not copied into the reason."""
    text = _GOT_HEADER.sub(r"(in the \1 header)", str(exc))
    return clean_line(f"{prefix}: {type(exc).__name__}: {text}")[:REASON_LENGTH]


_GOT_HEADER = re.compile(r"\(got .* for header '([\w-]+)'\)\s*$", re.DOTALL)


def unbuildable(row: Touchpoint, exc: Exception) -> str:
    log.exception("touchpoint %s could not be built; it is failed", row.public_id)
    row.attempts += 1
    return _settle(row, Status.FAILED, "failed",
                   error=reason("This message could not be built", exc))


def finish(batch: Batch, report: PassReport) -> None:
    """Wait for the batch's sends, then record every outcome in one go."""
    results = batch.sending.results() if batch.sending else {}
    batch.outcomes += [record_send(row, results.get(row.id, UNCONFIRMED), batch.now)
                       for row, _ in batch.ready]
    save(batch.rows, batch.token, batch.now)
    for outcome in batch.outcomes:
        setattr(report, outcome, getattr(report, outcome) + 1)
    bounced = [row for row, _ in batch.ready if getattr(results.get(row.id), "bounced", False)]
    if bounced:
        suppress_bounced(bounced, results)
    publish_sent([row for row, _ in batch.ready if row.status == Status.SENT], batch.now)


def withdraw_for_bounce(customer, proof: str) -> None:
    for purpose in (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING):
        consent.record_consent(customer, kinds.EMAIL, purpose, False, "bounce", proof=proof)
    consent.suppress(customer, kinds.EMAIL, Suppression.BOUNCED)


UNCONFIRMED = TransportError("The send was not confirmed; sending again.")


def suppress_bounced(rows: list[Touchpoint], results: dict) -> None:
    """The mail server said the mailbox does not exist (SMTP 550 5.1.1 and the like): the
    address goes on the business's suppression list, and the ledger withdraws every purpose
    for it, as a provider's hard-bounce webhook does. Rare, so one row at a time."""
    for row in rows:
        proof = f"SMTP refused touchpoint {row.public_id}: {results[row.id].message}"
        try:
            with transaction.atomic():
                withdraw_for_bounce(row.customer, proof[:2000])
        except Exception:
            log.exception("could not suppress the address of touchpoint %s", row.public_id)


def publish_sent(rows: list[Touchpoint], now: dt.datetime) -> None:
    """One `touchpoint.sent` event per row, published per business."""
    by_business: dict[int, list[Touchpoint]] = {}
    for row in rows:
        by_business.setdefault(row.business_id, []).append(row)
    for business_rows in by_business.values():
        try:
            _publish(business_rows, now)
        except Exception:
            # The rows are sent and saved; one business's events must not stop the pass.
            log.exception("touchpoint.sent events for business %s failed",
                          business_rows[0].business_id)


def _publish(business_rows: list[Touchpoint], now: dt.datetime) -> None:
    if business_rows:
        events.publish_many(business_rows[0].business, events.TOUCHPOINT_SENT, [{
            "touchpoint": row.public_id, "engagement": row.engagement.public_id,
            "customer": row.customer.public_id, "channel": row.channel,
            "step": row.name, "sent_at": now.isoformat(),
        } for row in business_rows])


def send_batch(batch: Batch, dispatcher: Dispatcher) -> Batch:
    batch.sending = dispatcher.submit([(row.id, outgoing) for row, outgoing in batch.ready])
    return batch


def process(rows: list[Touchpoint], token: str, now: dt.datetime, dispatcher: Dispatcher,
            report: PassReport) -> None:
    """Re-check, send and record one claimed batch."""
    finish(send_batch(prepare(rows, token, now), dispatcher), report)


def run_once(now: dt.datetime | None = None, stop: threading.Event | None = None,
             between_batches=None) -> PassReport:
    """Reap, then claim and send batches until nothing is due (or `stop` is set, or a
    send-rate limit is reached for this second).

    While one batch is being sent, the next is claimed and prepared."""
    report = PassReport(reclaimed=reap(now or timezone.now()))
    in_flight = None
    with Dispatcher(settings.WORKER_SEND_THREADS) as dispatcher:
        while not (stop and stop.is_set()):
            batch_now = now or timezone.now()
            throttled_before = report.throttled
            token, rows = claim(batch_now, settings.WORKER_BATCH_SIZE, report)
            report.claimed += len(rows)
            batch = prepare(rows, token, batch_now) if rows else None
            if in_flight:
                finish(in_flight, report)
            in_flight = send_batch(batch, dispatcher) if batch else None
            if between_batches:
                between_batches(report)
            # A rate limit that left part of the batch empty ends the pass; the worker waits
            # for the buckets to refill instead of spinning.
            limited = report.throttled > throttled_before
            if not rows or (limited and len(rows) < settings.WORKER_BATCH_SIZE):
                break
        if in_flight:
            finish(in_flight, report)
    log.log(logging.INFO if report.busy else logging.DEBUG, "worker pass: %s", report)
    for _receiver, result in pass_finished.send_robust(sender=None, report=report):
        if isinstance(result, Exception):
            log.error("after-pass task failed: %r", result)
    return report


# Leases, heartbeats and the minute's periodic work -----------------------------------------

def take_lease(name: str, holder: str, until: dt.datetime, now: dt.datetime) -> bool:
    """Take the named lease until `until` if nobody holds it now; True when we got it."""
    Lease.objects.get_or_create(name=name, defaults={"until": now - dt.timedelta(seconds=1)})
    return Lease.objects.filter(name=name, until__lte=now).update(holder=holder, until=until) == 1


TICK_SECONDS = 60
BEAT_SECONDS = 5
# A worker that has not beaten for a day is gone; its row is removed.
FORGET_AFTER = dt.timedelta(days=1)


class WorkerProcess:
    """What a `followthrough worker` process keeps between passes: its id, its heartbeat
    row and when it last looked at the minute's periodic work."""

    def __init__(self):
        self.host = socket.gethostname()[:200]
        self.pid = os.getpid()
        self.worker_id = f"{self.host[:40]}:{self.pid}:{new_public_id()[:8]}"
        self.started_at = timezone.now()
        self.passes = 0
        self.sent_total = 0
        self.last_beat: dt.datetime | None = None
        self.next_tick: dt.datetime | None = None

    def beat(self, report: PassReport | None = None, force: bool = False) -> None:
        now = timezone.now()
        if not force and self.last_beat and (now - self.last_beat).total_seconds() < BEAT_SECONDS:
            return
        values = {"host": self.host, "pid": self.pid, "started_at": self.started_at,
                  "last_beat": now, "passes": self.passes, "sent_total": self.sent_total}
        if report is not None and report.busy:
            values["last_pass"] = asdict(report)
        WorkerHeartbeat.objects.update_or_create(worker_id=self.worker_id, defaults=values)
        self.last_beat = now

    def after_pass(self, report: PassReport) -> None:
        self.passes += 1
        self.sent_total += report.sent
        self.beat(report, force=report.busy)
        self.tick()

    def tick(self) -> None:
        """Once a minute, try to take the minute's lease; the worker that gets it sends
        worker_tick (digests, reminder top-up, the archive)."""
        now = timezone.now()
        if self.next_tick and now < self.next_tick:
            return
        self.next_tick = now + dt.timedelta(seconds=TICK_SECONDS)
        minute_end = now.replace(second=0, microsecond=0) + dt.timedelta(seconds=TICK_SECONDS)
        if not take_lease("worker_tick", self.worker_id, minute_end, now):
            return
        WorkerHeartbeat.objects.filter(last_beat__lt=now - FORGET_AFTER).delete()
        apply_archive_policy(self.worker_id, now)
        for receiver, result in worker_tick.send_robust(sender=None, now=now):
            if isinstance(result, Exception):
                log.error("periodic task %s failed: %r", getattr(receiver, "__name__", receiver),
                          result, exc_info=result)

    def stopped(self) -> None:
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DATABASE_DOWN:
            pass


DATABASE_DOWN = (OperationalError, InterfaceError)


def apply_archive_policy(holder: str, now: dt.datetime) -> None:
    """Once a day (a lease), clear or delete old finished rows per ARCHIVE_AFTER_DAYS and
    ARCHIVE_DELETE_AFTER_DAYS; both off (0) by default."""
    clear_days = setting_int("ARCHIVE_AFTER_DAYS", 0)
    delete_days = setting_int("ARCHIVE_DELETE_AFTER_DAYS", 0)
    if clear_days <= 0 and delete_days <= 0:
        return
    if not take_lease("touchpoints.archive", holder, now + dt.timedelta(days=1), now):
        return
    try:
        done = archive.apply_policy(clear_days, delete_days, now)
    except Exception:
        log.exception("the archive run failed; it is tried again tomorrow")
        return
    if any(done.values()):
        log.info("archive: cleared the text of %(cleared)d and deleted %(deleted)d "
                 "finished touchpoint(s)", done)


def reset_connections() -> None:
    """Drop every database connection, so the next query opens a fresh one (after a
    database restart the old sockets are dead)."""
    for conn in connections.all():
        try:
            conn.close()
        except Exception:  # noqa: S110 - a dead connection has nothing left to close
            pass


def run_forever(stop: threading.Event) -> None:
    """Pass after pass until `stop` is set; a stop lets the current batch finish first.

    A database that goes away (restart, failover) never ends the worker: it logs, drops its
    connections and tries again with a growing pause, up to 30 seconds."""
    process = WorkerProcess()
    log.info("worker started: %s", process.worker_id)
    failures = 0
    while not stop.is_set():
        try:
            report = run_once(stop=stop, between_batches=lambda r: process.beat(r))
            process.after_pass(report)
            failures = 0
        except DATABASE_DOWN as exc:
            failures += 1
            log.warning("worker pass failed, database unavailable (attempt %d): %s",
                        failures, str(exc).strip().splitlines()[0] if str(exc) else exc)
            reset_connections()
            stop.wait(min(0.5 * 2 ** min(failures, 6), 30))
            continue
        except Exception:
            failures += 1
            log.exception("worker pass failed")
            reset_connections()
            stop.wait(min(0.5 * 2 ** min(failures, 6), 30))
            continue
        close_old_connections()
        if report.throttled:
            stop.wait(throttle_pause())
        elif not report.claimed:
            stop.wait(settings.WORKER_IDLE_SECONDS)
    process.stopped()
    log.info("worker stopped: %s", process.worker_id)


def throttle_pause() -> float:
    """How long to wait for a send-rate bucket to gain a token: a tenth of a second to one."""
    rates = [rate for rate in (setting_int("WORKER_MAX_SENDS_PER_SECOND", 0),
                               setting_int("WORKER_BUSINESS_SENDS_PER_SECOND", 0)) if rate > 0]
    return min(1.0, max(0.1, 1.0 / min(rates))) if rates else 0.2
