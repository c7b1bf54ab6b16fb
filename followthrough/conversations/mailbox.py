"""Customers' replies from a business's own mailbox, read over IMAP by the worker.

After each worker pass, poll_due() takes each mailbox whose turn has come (a conditional
update on lease_until, so two workers never read the same mailbox at once), fetches the
unread messages and hands each, as its raw bytes, to the same parser and pipeline as the
providers' inbound webhooks (email_in.store). A message that was taken is marked read.

- One message that cannot be taken (no sender, too big, unreadable) is marked read and
  flagged in the mailbox, named on the settings page, and the rest go on.
- A database failure leaves the message unread: the next poll tries it again, and the
  Message-ID keeps it from being stored twice.
- A mailbox that cannot be reached is named on the settings page with the reason, and tried
  again later and later (BACKOFF_MINUTES); the worker itself carries on."""

import datetime as dt
import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass, field

from anymail.inbound import AnymailInboundMessage
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import ImapToolsError, MailboxFolderSelectError, MailboxLoginError

from followthrough.conversations.email_in import max_bytes, store
from followthrough.conversations.models import LOOPBACK, Mailbox
from followthrough.crypto import SecretUnreadable, UnreadableSecret
from followthrough.text import clean_line

log = logging.getLogger("followthrough.conversations")

POLL_EVERY = dt.timedelta(minutes=1)
# Longer than a poll can take: PER_POLL messages, each network step bounded by TIMEOUT.
LEASE = dt.timedelta(minutes=10)
BACKOFF_MINUTES = (1, 2, 5, 15, 30, 60)
TIMEOUT = 20  # seconds, for each network step
PER_POLL = 50


class Unsafe(Exception):
    """No encryption to a server that is not on this machine."""


@dataclass
class Poll:
    taken: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)
    error: str = ""


def _due(now: dt.datetime) -> Q:
    return (Q(enabled=True) & (Q(next_poll_at=None) | Q(next_poll_at__lte=now))
            & (Q(lease_until=None) | Q(lease_until__lt=now)))


def poll_due(now: dt.datetime | None = None) -> int:
    """The worker's share, after each pass: read every mailbox whose turn has come and that
    no other worker is reading. Returns how many messages were taken."""
    now = now or timezone.now()
    taken = 0
    for pk in list(Mailbox.objects.filter(_due(now)).values_list("pk", flat=True)[:100]):
        if claim(pk, now):
            mailbox = Mailbox.objects.select_related("business").get(pk=pk)
            taken += poll(mailbox, now).taken
    return taken


def claim(pk: int, now: dt.datetime) -> bool:
    """True for exactly one of several workers asking at once."""
    return Mailbox.objects.filter(_due(now), pk=pk).update(lease_until=now + LEASE) == 1


def poll(mailbox: Mailbox, now: dt.datetime | None = None) -> Poll:
    now = now or timezone.now()
    result = Poll()
    try:
        box = connect(mailbox)
        try:
            _take_unread(box, mailbox, now, result)
        finally:
            _close(box)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the worker goes on
        result.error = describe(exc, mailbox)
        log.warning("mailbox %s of business %s: %s", mailbox.pk, mailbox.business_id,
                    result.error, exc_info=not _expected(exc))
    _record(mailbox, result, now)
    return result


def _take_unread(box, mailbox: Mailbox, now: dt.datetime, result: Poll) -> None:
    sizes = {m.uid: m.size_rfc822 for m in box.fetch(
        AND(seen=False), mark_seen=False, headers_only=True, limit=PER_POLL, bulk=True)}
    validity = box.folder.status(mailbox.folder, ["UIDVALIDITY"]).get("UIDVALIDITY", 0)
    for uid, size in sizes.items():
        if size > max_bytes():
            _refuse(box, uid, f"a message of {size / 1048576:.1f} MB is over the "
                              f"{max_bytes() / 1048576:.1f} MB limit", result)
            continue
        raw = _fetch_raw(box, uid)
        if raw is None:  # deleted from the mailbox since we looked: nothing to take
            continue
        try:
            message = AnymailInboundMessage.parse_raw_mime_bytes(raw)
            if not message["Message-ID"]:
                # So that a crash between storing and marking read cannot store it twice.
                message["Message-ID"] = f"<imap.{mailbox.pk}.{validity}.{uid}@followthrough>"
            _, created = store(message, now, business=mailbox.business)
        except DatabaseError:
            log.exception("mailbox %s: message %s left unread for the next poll",
                          mailbox.pk, uid)
            result.problems.append("A message could not be saved; it is tried again on "
                                   "the next check.")
            continue
        except Exception as exc:  # noqa: BLE001 - one bad message never stops the rest
            _refuse(box, uid, _reason(exc), result)
            continue
        box.flag(uid, MailMessageFlags.SEEN, True)
        result.taken += created
        result.duplicates += not created


def _fetch_raw(box, uid: str) -> bytes | None:
    """The message exactly as the server keeps it, without marking it read; None when it
    is no longer there."""
    status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"the server would not hand over message {uid}")
    parts = [item[1] for item in data if isinstance(item, tuple)]
    return parts[0] if parts else None


def _refuse(box, uid: str, reason: str, result: Poll) -> None:
    """Marked read (so it is not tried for ever) and flagged, so the owner finds it."""
    box.flag(uid, (MailMessageFlags.SEEN, MailMessageFlags.FLAGGED), True)
    result.problems.append(clean_line(f"A message was not taken: {reason}. It is still in "
                                      "the mailbox, marked read and flagged.")[:400])


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", "") or f"it could not be read ({type(exc).__name__})"
    return reason.rstrip(".")


def _record(mailbox: Mailbox, result: Poll, now: dt.datetime) -> None:
    changes = {"lease_until": None, "received_total": F("received_total") + result.taken}
    if result.error:
        failures = mailbox.failures + 1
        wait = BACKOFF_MINUTES[min(failures, len(BACKOFF_MINUTES)) - 1]
        changes.update(failures=failures, last_error=result.error[:300], last_error_at=now,
                       next_poll_at=now + dt.timedelta(minutes=wait))
    else:
        changes.update(failures=0, last_success_at=now, next_poll_at=now + POLL_EVERY)
    if result.problems:
        changes.update(last_problem=result.problems[-1][:400], last_problem_at=now)
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)


# Connecting -----------------------------------------------------------------------------

def connect(mailbox: Mailbox):
    """Signed in, with the mailbox's folder selected; the caller closes it (_close)."""
    secret = mailbox.password
    if isinstance(secret, UnreadableSecret):
        raise SecretUnreadable
    host = mailbox.host.strip()
    if mailbox.security == Mailbox.SSL:
        box = MailBox(host, mailbox.port, timeout=TIMEOUT,
                      ssl_context=ssl.create_default_context())
    elif mailbox.security == Mailbox.STARTTLS:
        box = MailBoxStartTls(host, mailbox.port, timeout=TIMEOUT,
                              ssl_context=ssl.create_default_context())
    elif host.lower() in LOOPBACK:
        box = MailBoxUnencrypted(host, mailbox.port, timeout=TIMEOUT)
    else:
        raise Unsafe
    try:
        plain = mailbox.username.isascii() and secret.isascii()
        (box.login if plain else box.login_utf8)(mailbox.username, secret,
                                                 initial_folder=mailbox.folder)
    except BaseException:
        _close(box)
        raise
    return box


def _close(box) -> None:
    try:
        if box.client.state == "SELECTED":
            box.client.close()
        box.client.logout()
    except Exception:  # noqa: S110, BLE001 - a dead connection has nothing left to close
        pass


def test_connection(mailbox: Mailbox) -> tuple[bool, str]:
    """Sign in as the worker would, and say in words what happened."""
    try:
        box = connect(mailbox)
        try:
            waiting = len(box.uids(AND(seen=False)))
        finally:
            _close(box)
    except Exception as exc:  # noqa: BLE001 - the owner reads what went wrong
        return False, describe(exc, mailbox)
    if not waiting:
        return True, f"Signed in to {mailbox.folder}; no unread messages waiting."
    return True, (f"Signed in to {mailbox.folder}; {waiting} unread "
                  f"message{'s' if waiting != 1 else ''} waiting.")


_EXPECTED = (MailboxLoginError, MailboxFolderSelectError, OSError, imaplib.IMAP4.error, Unsafe,
             SecretUnreadable)


def _expected(exc: Exception) -> bool:
    return isinstance(exc, _EXPECTED)


def describe(exc: Exception, mailbox: Mailbox) -> str:
    """What went wrong, in words an owner can act on."""
    where = f"{mailbox.host}:{mailbox.port}"
    if isinstance(exc, MailboxLoginError):
        text = ("The server refused the user name or password. Gmail, Outlook and iCloud "
                "want an app password here, not the one you sign in with.")
    elif isinstance(exc, MailboxFolderSelectError):
        text = f"Signed in, but there is no folder called “{mailbox.folder}”."
    elif isinstance(exc, SecretUnreadable):
        text = ("The saved password cannot be read with this install's SECRET_KEY (it was "
                "changed): type the password again.")
    elif isinstance(exc, Unsafe):
        text = ("Without encryption the password would cross the network in the clear: "
                "choose SSL/TLS or STARTTLS.")
    elif isinstance(exc, socket.gaierror):
        text = f"No mail server called {mailbox.host} could be found. Check the spelling."
    elif isinstance(exc, ConnectionRefusedError):
        text = (f"{where} refused the connection. Check the port and the security setting "
                "(SSL/TLS usually uses port 993, STARTTLS port 143).")
    elif isinstance(exc, TimeoutError):
        text = f"{where} did not answer within {TIMEOUT} seconds."
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = f"The server's certificate could not be trusted: {exc.verify_message}."
    elif isinstance(exc, ssl.SSLError):
        text = (f"The secure connection to {where} failed. SSL/TLS usually uses port 993, "
                "STARTTLS port 143.")
    elif isinstance(exc, imaplib.IMAP4.error | ImapToolsError):
        text = f"The mail server answered with an error: {exc}"
    elif isinstance(exc, OSError):
        text = f"Could not reach {where}: {exc.strerror or exc}."
    else:
        text = f"Something unexpected went wrong ({type(exc).__name__}); the log has more."
    return clean_line(text)[:300]
