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
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from email.utils import formataddr

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
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
    sendable_channels,
    transport_for,
)
from followthrough.customers.consent import may_contact_many
from followthrough.customers.models import ConsentEvent, Engagement
from followthrough.playbooks import vocabulary as v
from followthrough.tokens import new_public_id
from followthrough.touchpoints.merge import merge_context
from followthrough.touchpoints.models import Status, Touchpoint

log = logging.getLogger("followthrough.worker")

# Sent after every pass (report=PassReport); integrations deliver due webhooks on it.
pass_finished = Signal()

MAX_BACKOFF = dt.timedelta(hours=6)
ON_HOLD = "Paused while an unhappy customer is won back."
UNSUBSCRIBED = "unsubscribed"
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
    """Put rows whose lease expired back to planned; they will be sent (again)."""
    return Touchpoint.objects.filter(status=Status.SENDING, lease_until__lt=now).update(
        status=Status.PLANNED, lease_until=None, claimed_by="", updated_at=now,
        last_error="The worker stopped before recording the send; sending again.",
    )


def claim(now: dt.datetime, limit: int) -> tuple[str, list[Touchpoint]]:
    """Claim up to `limit` due rows for this pass; returns the claim token and the rows."""
    token = new_public_id()
    # SMS rows stay planned (and unclaimed) until the SMS transport is configured.
    candidates = due_rows(now).filter(channel__in=sorted(sendable_channels())).order_by("due_at")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if ids:
            Touchpoint.objects.filter(id__in=ids, status=Status.PLANNED).update(
                status=Status.SENDING, claimed_by=token, updated_at=now,
                lease_until=now + dt.timedelta(seconds=settings.WORKER_LEASE_SECONDS),
            )
    if not ids:
        return token, []
    rows = (
        Touchpoint.objects.filter(id__in=ids, claimed_by=token, status=Status.SENDING)
        .select_related("business", "customer", "engagement", "step")
        .order_by("due_at", "id")
    )
    return token, list(rows)


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
        row.last_error = error
    return outcome


# Composing and sending ----------------------------------------------------------------------

def compose(row: Touchpoint) -> OutgoingEmail | OutgoingSms:
    """Render the step's templates and snapshot what is sent on the row."""
    if row.step is None:
        raise TransportError("The playbook step was deleted.", permanent=True)
    context = merge_context(row)
    if row.channel == kinds.SMS:
        return compose_sms(row, context)
    try:
        subject = render_subject(row.step.subject, context)
        text = render_text(row.step.body, context)
    except Exception as exc:
        raise TransportError(f"The template cannot be rendered: {exc}", permanent=True) from exc
    business, customer = row.business, row.customer
    row.message_id = row.message_id or message_id_for(row.idempotency_key, business.from_email)
    row.recipient, row.rendered_subject, row.rendered_body = customer.email, subject, text
    return OutgoingEmail(
        to=formataddr((customer.name, customer.email)), subject=subject, text=text,
        html=text_to_html(text), from_email=business.from_email, message_id=row.message_id,
        reply_to=business.reply_to_email, business_slug=business.slug,
        unsubscribe_url=context["unsubscribe_link"],
        postal_address=business.postal_address if context["unsubscribe_link"] else "",
        idempotency_key=row.idempotency_key,
    )


SMS_STOP_HINT = "Reply STOP to opt out."


def compose_sms(row: Touchpoint, context: dict) -> OutgoingSms:
    """The step's body as plain text, signed with the business's name; relationship and
    marketing texts say how to opt out."""
    try:
        text = " ".join(render_text(row.step.body, context).split())
    except Exception as exc:
        raise TransportError(f"The template cannot be rendered: {exc}", permanent=True) from exc
    business = row.business
    if not text.startswith(business.name) and business.name not in text:
        text = f"{business.name}: {text}"
    if row.purpose != v.TRANSACTIONAL:
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
            merged.update(part.result() if isinstance(part, Future) else part)
        return merged


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
    params = []
    for row in rows:
        row.updated_at = now
        values = [field.get_db_prep_save(getattr(row, field.attname), connection)
                  for field in fields]
        params.append([*values, row.id, token, Status.SENDING])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
        saved = cursor.rowcount
    if 0 <= saved < len(rows):
        log.warning("%d rows lost their lease before their outcome was saved", len(rows) - saved)


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
        outcome = recheck(row, now, row.id in allowed)
        if outcome is None:
            try:
                batch.ready.append((row, compose(row)))
                continue
            except TransportError as exc:
                outcome = record_send(row, exc, now)
        batch.outcomes.append(outcome)
    return batch


def finish(batch: Batch, report: PassReport) -> None:
    """Wait for the batch's sends, then record every outcome in one go."""
    results = batch.sending.results() if batch.sending else {}
    batch.outcomes += [record_send(row, results[row.id], batch.now) for row, _ in batch.ready]
    save(batch.rows, batch.token, batch.now)
    for outcome in batch.outcomes:
        setattr(report, outcome, getattr(report, outcome) + 1)
    for row, _ in batch.ready:
        if row.status == Status.SENT:
            events.publish(row.business, events.TOUCHPOINT_SENT, {
                "touchpoint": row.public_id, "engagement": row.engagement.public_id,
                "customer": row.customer.public_id, "channel": row.channel,
                "step": row.name, "sent_at": batch.now.isoformat(),
            })


def send_batch(batch: Batch, dispatcher: Dispatcher) -> Batch:
    batch.sending = dispatcher.submit([(row.id, outgoing) for row, outgoing in batch.ready])
    return batch


def process(rows: list[Touchpoint], token: str, now: dt.datetime, dispatcher: Dispatcher,
            report: PassReport) -> None:
    """Re-check, send and record one claimed batch."""
    finish(send_batch(prepare(rows, token, now), dispatcher), report)


def run_once(now: dt.datetime | None = None, stop: threading.Event | None = None) -> PassReport:
    """Reap, then claim and send batches until nothing is due (or `stop` is set).

    While one batch is being sent, the next is claimed and prepared."""
    report = PassReport(reclaimed=reap(now or timezone.now()))
    in_flight = None
    with Dispatcher(settings.WORKER_SEND_THREADS) as dispatcher:
        while not (stop and stop.is_set()):
            batch_now = now or timezone.now()
            token, rows = claim(batch_now, settings.WORKER_BATCH_SIZE)
            report.claimed += len(rows)
            batch = prepare(rows, token, batch_now) if rows else None
            if in_flight:
                finish(in_flight, report)
            in_flight = send_batch(batch, dispatcher) if batch else None
            if not rows:
                break
        if in_flight:
            finish(in_flight, report)
    log.log(logging.INFO if report.busy else logging.DEBUG, "worker pass: %s", report)
    for _receiver, result in pass_finished.send_robust(sender=None, report=report):
        if isinstance(result, Exception):
            log.error("after-pass task failed: %r", result)
    return report


def run_forever(stop: threading.Event) -> None:
    """Pass after pass until `stop` is set; a stop lets the current batch finish first."""
    log.info("worker started")
    while not stop.is_set():
        try:
            report = run_once(stop=stop)
        except Exception:
            # A locked or restarting database should not end the worker; try again shortly.
            log.exception("worker pass failed")
            report = PassReport()
        close_old_connections()
        if not report.claimed:
            stop.wait(settings.WORKER_IDLE_SECONDS)
    log.info("worker stopped")
