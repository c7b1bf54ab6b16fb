"""Delivery: composing a row's message, sending it on a few threads over the pass's SMTP
sessions, and recording what happened (sent, planned again with backoff, or failed).

Delivery is at least once, honestly. A row becomes `sent` only after the SMTP server has
accepted the message; if the worker dies between the two, the lease runs out, the reaper
puts the row back and it is sent again. A resend carries the same Message-ID, derived from
the idempotency key."""

import datetime as dt
import logging
import queue
import re
import smtplib
from concurrent.futures import Future, ThreadPoolExecutor
from email.utils import formataddr

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import F
from django.urls import reverse

from followthrough import events
from followthrough import vocabulary as v
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
    sms_account,
    transport_for,
)
from followthrough.customers import consent
from followthrough.text import clean_line
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.merge import merge_context
from followthrough.touchpoints.models import Reason, Status, Touchpoint

log = logging.getLogger("followthrough.worker")

MAX_BACKOFF = dt.timedelta(hours=6)
REASON_LENGTH = 500
RESULT_FIELDS = [
    "status", "due_at", "moved_reason", "lease_until", "claimed_by", "attempts", "last_error",
    "outcome_note", "message_id", "rendered_subject", "rendered_body", "recipient",
    "completed_at", "updated_at", "reason_code",
]

DATABASE_DOWN = (OperationalError, InterfaceError)


# What the worker does to a claimed (sending) row, by outcome. Every one is a move the
# lifecycle's table allows from sending; checked once here, at import, so a table that
# stops allowing one fails loudly at start-up rather than mid-pass. save() writes these.
OUTCOMES = {
    "sent": Status.SENT,
    "retried": Status.PLANNED,  # a temporary failure: planned again, after a backoff
    "moved": Status.PLANNED,  # quiet hours: planned again at their end
    "failed": Status.FAILED,
    "skipped": Status.SKIPPED,
    "missed": Status.MISSED,
    "cancelled": Status.CANCELLED,
    "paused": Status.PAUSED,
}
for _to in OUTCOMES.values():
    lifecycle.check(Status.SENDING, _to)


def settle(row: Touchpoint, outcome: str, reason_code: str | None = None, note: str = "",
           error: str = "") -> str:
    """Set the row's outcome in memory (save() writes a batch of them); returns `outcome`.
    A reason code is given for every move, skip and failure the worker decides."""
    row.status = OUTCOMES[outcome]
    row.lease_until, row.claimed_by = None, ""
    if reason_code is not None:
        row.reason_code = reason_code
    if note:
        row.outcome_note = note
    if error:
        # Server replies are text from outside: one clean line, whatever they held.
        row.last_error = clean_line(error)[:REASON_LENGTH]
    return outcome


# Composing and sending ----------------------------------------------------------------------

# How a row that answers a customer's email finds its thread (In-Reply-To, References):
# the conversations app, which knows what was answered, registers the lookup at start-up.
thread_lookups: list = []


def _thread(row: Touchpoint) -> tuple[tuple[str, str], ...]:
    for lookup in thread_lookups:
        found = lookup(row)
        if found:
            return found
    return ()


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
        idempotency_key=row.idempotency_key, thread=_thread(row),
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
    account = sms_account(business)
    return OutgoingSms(
        to=row.customer.phone, body=text, from_number=account.from_number, account=account,
        status_callback=settings.SITE_URL + reverse("sms_status"),
        idempotency_key=row.idempotency_key,
    )


class Dispatcher:
    """Sends on a few threads, each chunk over one of the pass's transports (SMTP sessions).

    The threads only talk SMTP; the main thread does all the database work, and prepares
    the next batch while the threads send this one."""

    def __init__(self, threads: int):
        # One set of transports (one per sendable channel) per thread. Which channels can
        # send is asked once: for SMS it is a query, and an idle pass paid it per thread.
        channels = sendable_channels()
        self.transports = [{channel: transport_for(channel) for channel in channels}
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
        return settle(row, "sent")
    if error.permanent:
        return settle(row, "failed", Reason.SEND_FAILED, error=error.message)
    if row.attempts >= settings.WORKER_MAX_ATTEMPTS:
        message = f"Gave up after {row.attempts} attempts: {error.message}"
        return settle(row, "failed", Reason.SEND_FAILED, error=message)
    row.due_at = now + backoff(row.attempts)
    return settle(row, "retried", Reason.SEND_FAILED, error=error.message)


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
    legal = isinstance(row.status, str) and lifecycle.allowed(Status.SENDING, row.status)
    status = row.status if legal else Status.FAILED
    lifecycle.transition(
        Touchpoint.objects.filter(id=row.id, claimed_by=token), status, from_=Status.SENDING,
        due_at=row.due_at if isinstance(row.due_at, dt.datetime) else now,
        completed_at=now if status == Status.SENT else None, lease_until=None, claimed_by="",
        last_error=error, updated_at=now, attempts=F("attempts") + 1,
    )


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
    return settle(row, "failed", Reason.SEND_FAILED,
                   error=reason("This message could not be built", exc))


UNCONFIRMED = TransportError("The send was not confirmed; sending again.")


def suppress_bounced(rows: list[Touchpoint]) -> None:
    """The mail server said the mailbox does not exist (SMTP 550 5.1.1 and the like): the
    address goes on the business's suppression list with reason "bounced", exactly as a
    provider's hard-bounce webhook does (consent.suppress_bounced), and the ledger is left
    alone: a bounce is a delivery fact, not the person's choice. The row's last_error keeps
    the server's reply. Rare, so one row at a time."""
    for row in rows:
        try:
            with transaction.atomic():
                consent.suppress_bounced(row.customer)
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
