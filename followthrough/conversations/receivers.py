"""Remembering what we sent: the Message-ID of every email a touchpoint sent, so that a
reply quoting it in In-Reply-To or References finds its customer and job."""

import logging

from followthrough import events
from followthrough.channels import kinds
from followthrough.conversations.models import SentMessage
from followthrough.touchpoints.models import Touchpoint

log = logging.getLogger("followthrough.conversations")


def remember_sent(sender, business, name: str, payloads: list[dict], **kwargs) -> None:
    """On `touchpoint.sent`: one read and one insert per batch the worker publishes."""
    if name != events.TOUCHPOINT_SENT:
        return
    ids = [p.get("touchpoint") for p in payloads if p.get("channel") == kinds.EMAIL]
    if not ids:
        return
    try:
        rows = Touchpoint.objects.filter(public_id__in=ids).exclude(message_id="")
        SentMessage.objects.bulk_create(
            [SentMessage(message_id=message_id, touchpoint_id=pk)
             for pk, message_id in rows.values_list("id", "message_id")],
            ignore_conflicts=True)
    except Exception:
        # The mail is sent and recorded; a reply to it will still match by address.
        log.exception("could not remember the Message-IDs of %d sent emails", len(ids))
