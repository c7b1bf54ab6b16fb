"""Inbound email through django-anymail's inbound webhooks (Postmark, Mailgun, SendGrid,
Amazon SES and the others it parses): each message anymail hands over becomes an inbound
message of its customer's conversation, or an unmatched one.

What cannot be taken is refused with a 4xx and a reason the provider logs: a post the
provider's parser cannot read or a message with no sender address (400), a request larger
than INBOUND_EMAIL_MAX_BYTES (413). Anything that
fits is kept: a body over the length limit is kept up to it and marked cut."""

import functools
import html
import logging
import re
from email.errors import MessageError

import nh3
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils import timezone

from followthrough.channels import kinds
from followthrough.conversations import automatic
from followthrough.conversations.matching import match_email
from followthrough.conversations.services import Incoming, Refused, receive
from followthrough.text import clean_line

log = logging.getLogger("followthrough.conversations")



def max_bytes() -> int:
    return settings.INBOUND_EMAIL_MAX_BYTES


def on_inbound(sender, event, esp_name, **kwargs) -> None:
    """anymail.signals.inbound's receiver: one event, one message."""
    message = event.message
    if message is None:
        raise Refused(f"{esp_name} sent an inbound event without a message.")
    # Our clock, not the Date header: a sender's clock (or a forger) does not order the thread.
    store(message, timezone.now())


def _address(value) -> str:
    address = getattr(value, "addr_spec", "") or ""
    return address if "@" in address and "\x00" not in address else ""


def store(message, received_at, business=None):
    """One parsed message (anymail's AnymailInboundMessage) into its conversation. `business`
    is known when the mail came from that business's own mailbox (mailbox.py)."""
    from_ = message.from_email
    sender = _address(from_[0] if isinstance(from_, list) and from_ else from_)
    if not sender:
        raise Refused("The message has no sender address (From), so it cannot be answered.")
    recipients = [a for a in map(_address, [*message.to, *message.cc]) if a]
    if message.envelope_recipient and "@" in str(message.envelope_recipient):
        recipients.append(str(message.envelope_recipient))
    headers = {name.lower(): str(value) for name, value in message.items()}
    subject = str(message.subject or "")
    incoming = Incoming(
        channel=kinds.EMAIL, sender=sender, body=_text(message), received_at=received_at,
        recipients=recipients, subject=subject, message_id=headers.get("message-id", ""),
        in_reply_to=headers.get("in-reply-to", ""),
        references=headers.get("references", ""),
        automatic=automatic.kind(headers, subject, sender, message.get_content_type() +
                                 ";" + headers.get("content-type", "")),
        attachments=[(part.get_filename() or "", part.get_content_type(),
                      part.get_content_bytes() or b"") for part in message.attachments],
    )
    return receive(incoming, match_email(sender, recipients, incoming.in_reply_to,
                                         incoming.references, business))


def _text(message) -> str:
    """The plain text; from the HTML part, tags removed, when there is no plain part."""
    text = message.text
    if text:
        return text
    if message.html:
        return html.unescape(nh3.clean(_BREAKS.sub("\n", message.html), tags=set()))
    return ""


_BREAKS = re.compile(r"<br\s*/?>|</(p|div|li|tr|h\d)>", re.IGNORECASE)


def refusing(view):
    """anymail's view, with our refusals answered as a 4xx that names the reason."""
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes():
            return _refusal(Refused(_too_big(max_bytes(), "INBOUND_EMAIL_MAX_BYTES"), 413))
        try:
            return view(request, *args, **kwargs)
        except RequestDataTooBig:  # a JSON post over Django's limit for a request body
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _refusal(Refused(_too_big(limit, "DATA_UPLOAD_MAX_MEMORY_SIZE"), 413))
        except Refused as refused:
            return _refusal(refused)
        except MALFORMED as exc:  # the provider's parser could not read the post
            reason = clean_line(f"The message could not be read: {type(exc).__name__}: {exc}")
            return _refusal(Refused(reason[:300]))
    return wrapped


# What a provider's parser raises on a malformed post (a database error is not one of
# them: that stays a 500, and the provider retries).
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, UnicodeError, MessageError)


def _too_big(limit: int, setting: str) -> str:
    return (f"The message is larger than {limit / (1024 * 1024):.1f} MB, the most this "
            f"install takes ({setting}).")


def _refusal(refused: Refused) -> HttpResponse:
    log.warning("inbound email refused: %s", refused.reason)
    return HttpResponse(refused.reason, status=refused.status,
                        content_type="text/plain; charset=utf-8")
