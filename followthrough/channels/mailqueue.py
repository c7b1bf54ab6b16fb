"""The mail queue: email written during a web request leaves through the worker.

A web page that has to send an email (the owner's unhappy-customer alert, a subscribe
confirmation, a team invitation, a password reset) calls queue_mail() inside its own
transaction: the row commits with the rest of the request, or not at all. The page never
talks to the mail server, so a server answering 451, or hanging, costs the visitor nothing.

The worker calls deliver_due() after every pass. It claims due rows with a conditional
update (queued → sending, with a lease and a claim token), which is safe with several
workers on SQLite and PostgreSQL: a row can only be moved by the one UPDATE that still
finds it queued. Then it sends each through Django's configured email backend:

- accepted: sent; the body is cleared (a reset link is a credential, and the row has done
  its job);
- refused for now (4xx, a dropped or refused connection): queued again with backoff, up
  to MAX_ATTEMPTS;
- refused for good (5xx, a message that cannot be encoded): failed, with the reason.

A worker that dies mid-send leaves its rows `sending`; when the lease runs out they are due
again. Delivery is at least once, as for touchpoints."""

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.utils import timezone

from followthrough.channels.layout import Brand, email_html, install_domain
from followthrough.channels.models import QueuedMail
from followthrough.channels.outbox import BUSINESS_HEADER
from followthrough.channels.rendering import text_to_html
from followthrough.channels.transports import classify
from followthrough.tokens import new_public_id

log = logging.getLogger("followthrough.mailqueue")

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=10)
BATCH = 20
# Sent and failed rows are kept this long (to see what went out), then deleted.
KEEP = dt.timedelta(days=7)


TEST_HEADER = "X-Followthrough-Test"
TEST_KIND = "test"


def queue_mail(subject: str, body: str, to: list[str], *, kind: str, business=None,
               from_email: str = "", html: str = "", headers: dict | None = None) -> QueuedMail:
    """Queue one email; it commits with the caller's transaction. A subject is one line
    (a CR or LF in it would only make the send fail later). Without `html`, the text is
    put in the email layout (layout.py) with the business's brand.

    The mail is attributed to `business` (the X-Followthrough-Business header), so the
    business's Outbox shows its owner alerts and invitations too, and its Message-ID is on
    the business's domain, never localhost."""
    recipients = [address.strip() for address in to if address and address.strip()]
    subject = " ".join(str(subject).split())[:300]
    brand = Brand.of(business)
    row = QueuedMail(
        business=business, kind=kind[:40], to="\n".join(recipients),
        from_email=from_email or settings.DEFAULT_FROM_EMAIL, subject=subject, text_body=body,
        html_body=html or email_html(text_to_html(body), brand, subject=subject, text=body),
    )
    row.headers = {**(headers or {}), "Message-ID": f"<{row.public_id}@{brand.domain}>"}
    if business is not None:
        row.headers[BUSINESS_HEADER] = business.slug
    row.save(force_insert=True)
    return row


# "Send me a test": at most this many per business in the window, so the button cannot
# be turned into a way of mailing someone again and again.
TEST_LIMIT = 10
TEST_WINDOW = dt.timedelta(minutes=10)
TEST_PREFIX = "[Test] "


class TooManyTests(Exception):
    pass


def queue_test(business, to: str, subject: str, text: str, html: str = "") -> QueuedMail:
    """Queue a test of a message for `to` (the signed-in person's own address), marked as a
    test in its subject and in the X-Followthrough-Test header. It goes the way all mail
    from a page goes: the worker sends it on its next pass. Raises TooManyTests past
    TEST_LIMIT in TEST_WINDOW for the business."""
    since = timezone.now() - TEST_WINDOW
    if QueuedMail.objects.filter(business=business, kind=TEST_KIND,
                                 created_at__gte=since).count() >= TEST_LIMIT:
        raise TooManyTests(f"{TEST_LIMIT} tests in {TEST_WINDOW.seconds // 60} minutes")
    subject = subject.removeprefix(TEST_PREFIX)
    return queue_mail(TEST_PREFIX + subject, text, [to], kind=TEST_KIND, business=business,
                      from_email=business.from_email, html=html,
                      headers={TEST_HEADER: "yes"})


def _due(now: dt.datetime) -> Q:
    return (Q(status=QueuedMail.QUEUED, next_attempt_at__lte=now)
            | Q(status=QueuedMail.SENDING, lease_until__lt=now))


def claim(now: dt.datetime, limit: int) -> tuple[str, list[QueuedMail]]:
    """Claim up to `limit` due rows. The UPDATE repeats the due condition, so of two
    workers that picked the same row only one moves it (PostgreSQL re-reads the row
    after the lock; SQLite has one writer at a time)."""
    token = new_public_id()
    ids = list(QueuedMail.objects.filter(_due(now)).order_by("next_attempt_at", "id")
               .values_list("id", flat=True)[:limit])
    if not ids:
        return token, []
    QueuedMail.objects.filter(_due(now), id__in=ids).update(
        status=QueuedMail.SENDING, claimed_by=token, lease_until=now + LEASE)
    rows = QueuedMail.objects.filter(claimed_by=token, status=QueuedMail.SENDING)
    return token, list(rows.order_by("next_attempt_at", "id"))


def backoff(attempts: int) -> dt.timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def deliver_due(now: dt.datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Send what is due; returns counts by outcome."""
    now = now or timezone.now()
    token, rows = claim(now, limit)
    done = {"sent": 0, "retry": 0, "failed": 0}
    if not rows:
        return done
    connection = get_connection()
    try:
        connection.open()  # one session for the batch
    except Exception as exc:
        _release(rows, token, now, classify(exc).message)
        done["retry"] = len(rows)
        log.warning("mail queue: the mail server is unreachable: %s", exc)
        return done
    try:
        for index, row in enumerate(rows):
            outcome, exc = _send(row, connection, token, now)
            done[outcome] += 1
            if exc is not None and connection_trouble(exc):
                _release(rows[index + 1:], token, now, row.last_error)
                done["retry"] += len(rows) - index - 1
                break
    finally:
        try:
            connection.close()
        except Exception:  # noqa: S110 - a broken connection has nothing left to close
            pass
    if done["retry"] or done["failed"]:
        log.warning("mail queue: %(sent)d sent, %(retry)d to retry, %(failed)d failed", done)
    return done


def _message(row: QueuedMail, connection) -> EmailMultiAlternatives:
    # Rows queued before headers were kept get a Message-ID on the install's domain.
    headers = {"Message-ID": f"<{row.public_id}@{install_domain()}>", **(row.headers or {})}
    message = EmailMultiAlternatives(row.subject, row.text_body, row.from_email,
                                     row.recipients, connection=connection, headers=headers)
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    return message


def connection_trouble(exc: Exception) -> bool:
    """The session is gone or never came (not a reply about this one message): the rest of
    the batch would fail the same way. Every smtplib error is an OSError, hence the care."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _send(row: QueuedMail, connection, token: str,
          now: dt.datetime) -> tuple[str, Exception | None]:
    try:
        _message(row, connection).send()
    except Exception as exc:  # every failure is recorded on the row, never raised
        return _failed(row, token, now, exc), exc
    _finish(row, token, status=QueuedMail.SENT, sent_at=timezone.now(), text_body="",
            html_body="", last_error="", attempts=row.attempts + 1)
    return "sent", None


def _failed(row: QueuedMail, token: str, now: dt.datetime, exc: Exception) -> str:
    problem = classify(exc)
    attempts = row.attempts + 1
    row.last_error = problem.message[:2000]
    if problem.permanent or attempts >= MAX_ATTEMPTS:
        _finish(row, token, status=QueuedMail.FAILED, attempts=attempts,
                last_error=row.last_error, text_body="", html_body="")
        log.error("mail queue: %s %s failed for good: %s", row.kind, row.public_id,
                  row.last_error)
        return "failed"
    _finish(row, token, status=QueuedMail.QUEUED, attempts=attempts,
            last_error=row.last_error, next_attempt_at=now + backoff(attempts))
    return "retry"


def _finish(row: QueuedMail, token: str, **values) -> None:
    # Conditional on our claim: a row whose lease ran out belongs to whoever took it next.
    QueuedMail.objects.filter(pk=row.pk, claimed_by=token, status=QueuedMail.SENDING).update(
        lease_until=None, claimed_by="", **values)


def _release(rows: list[QueuedMail], token: str, now: dt.datetime, error: str) -> None:
    """Rows not tried because the server is unreachable: due again after a short wait,
    without using up an attempt."""
    QueuedMail.objects.filter(pk__in=[row.pk for row in rows], claimed_by=token,
                              status=QueuedMail.SENDING).update(
        status=QueuedMail.QUEUED, lease_until=None, claimed_by="", last_error=error,
        next_attempt_at=now + FIRST_RETRY)


def prune(now: dt.datetime | None = None) -> int:
    """Delete sent and failed rows older than KEEP; returns how many went."""
    cutoff = (now or timezone.now()) - KEEP
    return QueuedMail.objects.filter(status__in=[QueuedMail.SENT, QueuedMail.FAILED],
                                     created_at__lt=cutoff).delete()[0]


def forget(business, address: str = "", name: str = "") -> int:
    """Delete the business's rows sent to `address` or naming `name` in the subject (an
    erasure: a confirmation to the customer, an alert about them)."""
    match = Q()
    if address.strip():
        match |= Q(to__icontains=address.strip())
    if len(name.strip()) >= 3:
        match |= Q(subject__contains=name.strip())
    if not match:
        return 0
    return QueuedMail.objects.filter(match, business=business).delete()[0]


def waiting_since() -> dt.datetime | None:
    """When the oldest row still to be sent was queued, or None: for a health check, which
    can fail when mail has waited longer than it should (a server down for a while)."""
    pending = QueuedMail.objects.filter(status__in=[QueuedMail.QUEUED, QueuedMail.SENDING])
    return pending.order_by("created_at").values_list("created_at", flat=True).first()
