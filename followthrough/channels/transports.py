"""Transports: one small class per automated channel, found through TRANSPORTS.

A transport is opened once and reused for many messages (one SMTP session for a whole
batch), and turns every delivery problem into TransportError(permanent=...): permanent means
trying again cannot help (the address is refused), transient means it might (the server is
down, busy or greylisting)."""

import hashlib
import re
import secrets
import smtplib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from email.policy import Compat32
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from followthrough.channels import kinds
from followthrough.channels.layout import (
    Brand,
    address_domain,
    bare_address,
    brand_for_slug,
    email_html,
    list_id,
    mail_domain,
)


class TransportError(Exception):
    """`bounced` means the receiving server said the mailbox does not exist: the worker
    puts the address on the suppression list, so it is never tried again."""

    def __init__(self, message: str, permanent: bool = False, bounced: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent or bounced
        self.bounced = bounced


# Replies that mean "no such mailbox" (RFC 5321 §4.2.2, RFC 3463): 550 mailbox unavailable,
# 551 user not local, 553 mailbox name not allowed. An enhanced status code, when the server
# sends one, must agree (5.1.x is a bad address, 5.2.1 a disabled mailbox): a 550 5.7.1 is a
# policy refusal (spam, relaying), which says nothing about the address.
MAILBOX_GONE_CODES = frozenset({550, 551, 553})
_ENHANCED = re.compile(r"^\s*(\d)\.(\d{1,3})\.(\d{1,3})\b")


def mailbox_gone(code: int, reply, at_rcpt: bool) -> bool:
    """True when an SMTP reply says the recipient's mailbox does not exist. At RCPT a bare
    550 says so; after DATA only an explicit 5.1.x or 5.2.1 does."""
    if code not in MAILBOX_GONE_CODES:
        return False
    match = _ENHANCED.match(_text(reply))
    if match is None:
        return at_rcpt
    klass, subject, detail = match.groups()
    return klass == "5" and (subject == "1" or (subject, detail) == ("2", "1"))


@dataclass(frozen=True)
class OutgoingEmail:
    """Everything needed to send one email, as plain data (no models): it crosses threads."""

    to: str
    subject: str
    text: str
    html: str
    from_email: str
    message_id: str
    reply_to: str = ""
    business_slug: str = ""
    # Set for relationship and marketing mail: adds RFC 8058 headers and the footer.
    unsubscribe_url: str = ""
    postal_address: str = ""
    # The touchpoint's idempotency key: sent as provider metadata (django-anymail) so a
    # provider's logs and webhooks tie back to the touchpoint.
    idempotency_key: str = ""
    channel: str = kinds.EMAIL
    # The business's logo, colour and domain; None looks it up by business_slug.
    brand: Brand | None = None
    # (name, value) headers that thread a reply: In-Reply-To and References.
    thread: tuple[tuple[str, str], ...] = ()
    # The message already built by prepared() (the worker's main thread does it while the
    # send threads wait on the network); None builds it at send time.
    built: EmailMultiAlternatives | None = field(default=None, compare=False, repr=False)


def message_id_for(idempotency_key: str, from_email: str = "") -> str:
    """The same key always gives the same Message-ID, so a resend after a crash is
    recognisable as a duplicate by the receiving side. Its domain is the sender's, or the
    install's (layout.mail_domain), never localhost."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{mail_domain(address_domain(from_email))}>"


def footer_text(outgoing: OutgoingEmail) -> str:
    lines = [line.strip() for line in outgoing.postal_address.splitlines() if line.strip()]
    if outgoing.unsubscribe_url:
        lines.append(f"Unsubscribe: {outgoing.unsubscribe_url}")
    return "\n".join(lines)


class _FastCompat32(Compat32):
    """The standard library's compat32 policy (Django's), with a short cut for the common
    header: printable ASCII that fits on its line is written as it stands, which is exactly
    what compat32's folding makes of it. Building a Header to find that out cost a third of
    composing a message. Anything else folds as before."""

    def _fold(self, name, value, sanitize):
        if (isinstance(value, str) and value.isascii() and value.isprintable()
                and (not self.max_line_length
                     or len(name) + 2 + len(value) <= self.max_line_length)):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


FAST_COMPAT32 = _FastCompat32()


class _EmailWithBoundary(EmailMultiAlternatives):
    """Names its own random MIME boundary. Left unnamed, the standard library draws one and
    compiles a regular expression for every message to prove the text does not contain it,
    which cost more than the rest of building the message; 128 random bits cannot clash."""

    _mime = None

    def message(self, *args, **kwargs):
        if self._mime is None:
            mime = super().message(*args, **kwargs)
            if mime.is_multipart():
                # 128 bits in 22 characters: the Content-Type header then fits on its
                # line and is not folded (folding it cost as much as all other headers).
                mime.set_boundary(f"=_{secrets.token_urlsafe(16)}")
            # The generator folds every part's headers with the outer message's policy.
            mime.policy = FAST_COMPAT32
            self._mime = mime
        return self._mime

    def render_for_smtp(self) -> None:
        """Build the MIME message and its SMTP bytes now, and keep them: Django's SMTP
        backend asks for exactly these (as_bytes with CRLF line ends) when it sends."""
        mime = self.message()
        wire = mime.as_bytes(linesep="\r\n")
        render = mime.as_bytes

        def as_bytes(unixfrom=False, linesep="\n"):
            return wire if (linesep, unixfrom) == ("\r\n", False) else render(unixfrom, linesep)

        mime.as_bytes = as_bytes


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def prepared(outgoing: OutgoingEmail) -> OutgoingEmail:
    """The same email with its message built (and, for the SMTP backend, rendered), so that
    sending it is little more than I/O."""
    message = build_email(outgoing)
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        message.render_for_smtp()
    return replace(outgoing, built=message)


def build_email(outgoing: OutgoingEmail, connection=None) -> EmailMultiAlternatives:
    brand = outgoing.brand or brand_for_slug(outgoing.business_slug)
    headers = {"Message-ID": outgoing.message_id}
    if outgoing.thread:
        headers.update(outgoing.thread)
    if outgoing.business_slug:
        headers["X-Followthrough-Business"] = outgoing.business_slug
    text = outgoing.text
    if outgoing.unsubscribe_url:
        # Relationship and marketing mail (only they carry an unsubscribe link): a list in
        # RFC 2919's sense, with RFC 8058 one-click unsubscribe.
        mailto = _unsubscribe_mailto(outgoing)
        headers["List-Id"] = list_id(brand)
        headers["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = footer_text(outgoing)
    if footer:
        text = f"{text.rstrip()}\n\n-- \n{footer}\n"
    html = email_html(outgoing.html, brand, subject=outgoing.subject, text=outgoing.text,
                      postal_address=outgoing.postal_address,
                      unsubscribe_url=outgoing.unsubscribe_url)
    message = _EmailWithBoundary(
        subject=outgoing.subject, body=text, from_email=outgoing.from_email, to=[outgoing.to],
        reply_to=[outgoing.reply_to] if outgoing.reply_to else None, headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if outgoing.idempotency_key:
        # django-anymail reads these; Django's own backends ignore them.
        message.metadata = {"touchpoint": outgoing.idempotency_key}
    return message


def _unsubscribe_mailto(outgoing: OutgoingEmail) -> str:
    """mailto: for clients that only offer mail: UNSUBSCRIBE_MAILTO if set, else the reply
    address, with the link's token in the subject so the request names the customer."""
    address = getattr(settings, "UNSUBSCRIBE_MAILTO", "") or bare_address(
        outgoing.reply_to or outgoing.from_email)
    token = outgoing.unsubscribe_url.rstrip("/").rpartition("/")[2]
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


def classify(exc: BaseException) -> TransportError:
    """Map an SMTP or socket failure to a TransportError with the right permanence."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        answers = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        bounced = bool(codes) and all(mailbox_gone(code, msg, at_rcpt=True)
                                      for code, msg in exc.recipients.values())
        return TransportError(f"Recipient refused: {answers}", permanent=permanent,
                              bounced=bounced)
    # Connect, HELO and AUTH failures are about our server set-up, not this message:
    # retry with backoff rather than fail every message of the batch for good.
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError,
                        smtplib.SMTPAuthenticationError)):
        return TransportError(f"SMTP server problem: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = 500 <= exc.smtp_code < 600
        # Only a refusal after DATA can be about the recipient; MAIL FROM is about us.
        bounced = isinstance(exc, smtplib.SMTPDataError) and mailbox_gone(
            exc.smtp_code, exc.smtp_error, at_rcpt=False)
        return TransportError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", permanent=permanent,
                              bounced=bounced)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransportError(f"SMTP server disconnected: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        return TransportError(f"SMTP error: {exc}")
    if isinstance(exc, OSError):  # refused, reset, timed out, no route
        return TransportError(f"SMTP server unreachable: {exc or type(exc).__name__}")
    # Django raises ValueError/BadHeaderError for an address or header it cannot encode:
    # the same message would fail the same way every time.
    return TransportError(f"Message refused before sending: {exc}", permanent=True)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class Transport(ABC):
    """One channel's sender. Use as a context manager around a batch."""

    channel = ""

    def open(self) -> None:  # noqa: B027 - most transports hold no connection
        """Set up what the batch shares (a connection); nothing by default."""

    def close(self) -> None:  # noqa: B027
        """Let go of what open() set up."""

    @abstractmethod
    def send(self, outgoing) -> None:
        """Deliver one message, or raise TransportError saying whether to retry."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class EmailTransport(Transport):
    """Sends through Django's email backend (EMAIL_* settings), over one reused connection."""

    channel = kinds.EMAIL

    def __init__(self):
        self.connection = None

    def open(self) -> None:
        if self.connection is not None:
            return
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except Exception as exc:
            raise classify(exc) from exc
        self.connection = connection

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: S110 - a broken session has nothing left to close
                pass

    def send(self, outgoing: OutgoingEmail) -> None:
        self.open()
        try:
            message = outgoing.built or build_email(outgoing)
            sent = self.connection.send_messages([message])
        except Exception as exc:
            error = classify(exc)
            if not error.permanent:
                # The session may be half-dead (421, dropped socket): start a new one next time.
                self.close()
            raise error from exc
        if not sent:
            raise TransportError("The email backend did not accept the message.")


@dataclass(frozen=True)
class SmsAccount:
    """The Twilio account a business's texts go through. Each part comes from its
    TWILIO_* environment variable when that is set (whoever runs the install decides),
    else from the business's own settings (Settings → Text messages)."""

    sid: str
    token: str = field(repr=False)
    from_number: str
    overridden: frozenset = frozenset()  # the parts the environment set

    @property
    def complete(self) -> bool:
        return bool(self.sid and self.token and self.from_number)


# SmsAccount part → (environment variable, Business field)
SMS_PARTS = {
    "sid": ("TWILIO_ACCOUNT_SID", "sms_account_sid"),
    "token": ("TWILIO_AUTH_TOKEN", "sms_auth_token"),
    "from_number": ("TWILIO_FROM", "sms_from_number"),
}


def sms_account(business) -> SmsAccount:
    parts, overridden = {}, set()
    for part, (variable, name) in SMS_PARTS.items():
        parts[part] = getattr(settings, variable) or (getattr(business, name) if business
                                                      else "")
        if getattr(settings, variable):
            overridden.add(part)
    return SmsAccount(**parts, overridden=frozenset(overridden))


def businesses_without_sms():
    """The ids of businesses whose texts must wait (no complete account), as a subquery;
    None when the environment sets the whole account, so every business can text."""
    from django.db.models import Q

    from followthrough.tenants.models import Business

    missing = Q()
    for variable, name in SMS_PARTS.values():
        if not getattr(settings, variable):
            missing |= Q(**{name: ""})
    if not missing:
        return None
    return Business.objects.filter(missing).values("id")


@dataclass(frozen=True)
class OutgoingSms:
    """One text message, as plain data."""

    to: str
    body: str
    from_number: str
    status_callback: str = ""
    idempotency_key: str = ""
    channel: str = kinds.SMS
    account: SmsAccount | None = field(default=None, repr=False)


# Twilio error codes that mean this number will never take this message: invalid or
# unreachable number, a landline, or the recipient texted STOP.
TWILIO_PERMANENT = frozenset({21211, 21212, 21214, 21408, 21610, 21612, 21614, 21617})


def sms_configured() -> bool:
    """Whether any business can text: the environment sets the whole account, or at
    least one business has set up its own."""
    waiting = businesses_without_sms()
    if waiting is None:
        return True
    from followthrough.tenants.models import Business

    return Business.objects.exclude(id__in=waiting).exists()


def _twilio_http_client():
    from twilio.http.http_client import TwilioHttpClient

    base = settings.TWILIO_API_BASE.rstrip("/")

    class LocalBaseClient(TwilioHttpClient):
        """Sends Twilio's requests to TWILIO_API_BASE instead (a test stand-in)."""

        def request(self, method, url, *args, **kwargs):
            parts = urlsplit(url)
            url = base + parts.path + (f"?{parts.query}" if parts.query else "")
            return super().request(method, url, *args, **kwargs)

    return LocalBaseClient(timeout=20) if base else TwilioHttpClient(timeout=20)


class SmsTransport(Transport):
    """Sends text messages through Twilio's REST API with the official client: one client
    per account, since each business may have its own."""

    channel = kinds.SMS

    def __init__(self):
        self.clients = {}

    @staticmethod
    def is_configured() -> bool:
        return sms_configured()

    def open(self) -> None:
        """Nothing to open: a Twilio client makes no connection until it sends."""

    def client_for(self, account: SmsAccount):
        from twilio.rest import Client

        key = (account.sid, account.token)
        if key not in self.clients:
            self.clients[key] = Client(account.sid, account.token,
                                       http_client=_twilio_http_client())
        return self.clients[key]

    def send(self, outgoing: OutgoingSms) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        account = outgoing.account or sms_account(None)
        if not account.complete:
            raise TransportError("Texts are not set up for this business.")
        options = {"to": outgoing.to, "from_": outgoing.from_number or account.from_number,
                   "body": outgoing.body}
        if outgoing.status_callback:
            options["status_callback"] = outgoing.status_callback
        try:
            message = self.client_for(account).messages.create(**options)
        except TwilioRestException as exc:
            permanent = exc.code in TWILIO_PERMANENT or (
                400 <= exc.status < 500 and exc.status not in (401, 403, 408, 429))
            raise TransportError(f"Twilio {exc.status} {exc.code}: {exc.msg}",
                                 permanent=permanent) from exc
        except (TwilioException, OSError) as exc:
            raise TransportError(f"Twilio unreachable: {exc}") from exc
        except Exception as exc:  # requests' connection errors and timeouts
            raise TransportError(f"Twilio unreachable: {type(exc).__name__}: {exc}") from exc
        return message.sid


TRANSPORTS: dict[str, type[Transport]] = {kinds.EMAIL: EmailTransport, kinds.SMS: SmsTransport}


def transport_for(channel: str) -> Transport:
    try:
        return TRANSPORTS[channel]()
    except KeyError:
        raise TransportError(f"No transport for the {channel} channel yet.") from None


def sendable_channels() -> frozenset[str]:
    """The channels with a transport that is set up; SMS needs the TWILIO_* settings."""
    return frozenset(
        channel for channel, cls in TRANSPORTS.items()
        if getattr(cls, "is_configured", lambda: True)()
    )
