"""Automatic answers are not replies: out-of-office notes and bounces are recognised by
their headers (RFC 3834 and the common ones mail systems add) or, failing that, by the
subjects they use, and filed apart: no Today touch, no incident, no webhook."""

import re

from followthrough.conversations.models import Message

# RFC 3834: anything but "no" is automatic. The X- headers are Microsoft's and others'.
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
AUTO_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
BOUNCE_SUBJECTS = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|"
    r"mail delivery (failed|failure|system)|returned mail|delivery failure|failure notice)",
    re.IGNORECASE)
AUTO_SUBJECTS = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|"
    r"auto[- ]?response|away from (the )?office|on vacation|on holiday)",
    re.IGNORECASE)


def kind(headers: dict[str, str], subject: str, sender: str,
         content_type: str = "") -> str:
    """Message.BOUNCE, Message.AUTO_REPLY or "" (a person wrote it). `headers` maps
    lower-case names to values."""
    report = content_type.lower()
    if ("multipart/report" in report and "delivery-status" in report) \
            or BOUNCE_SENDERS.match(sender or "") or BOUNCE_SUBJECTS.match(subject or ""):
        return Message.BOUNCE
    submitted = headers.get("auto-submitted", "").strip().lower()
    if submitted and submitted != "no":
        return Message.AUTO_REPLY
    if any(headers.get(name.lower()) for name in AUTO_HEADERS):
        return Message.AUTO_REPLY
    if headers.get("precedence", "").strip().lower() in AUTO_PRECEDENCE:
        return Message.AUTO_REPLY
    if AUTO_SUBJECTS.match(subject or ""):
        return Message.AUTO_REPLY
    return Message.NOT_AUTOMATIC
