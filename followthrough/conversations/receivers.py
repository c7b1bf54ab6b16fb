"""Remembering what we sent: the Message-ID of every email a touchpoint sent, so that a
reply quoting it in In-Reply-To or References finds its customer and job."""

import logging

from django.db import connection
from django.utils import timezone

from followthrough import events
from followthrough.channels import kinds
from followthrough.conversations.models import SentMessage
from followthrough.touchpoints.models import Touchpoint

log = logging.getLogger("followthrough.conversations")


def remember_sent(sender, business, name: str, payloads: list[dict], **kwargs) -> None:
    """On `touchpoint.sent`: one INSERT … SELECT per batch the worker publishes."""
    if name != events.TOUCHPOINT_SENT:
        return
    ids = [p.get("touchpoint") for p in payloads if p.get("channel") == kinds.EMAIL]
    if not ids:
        return
    try:
        for at in range(0, len(ids), CHUNK):
            _remember(ids[at:at + CHUNK])
    except Exception:
        # The mail is sent and recorded; a reply to it will still match by address.
        log.exception("could not remember the Message-IDs of %d sent emails", len(ids))


CHUNK = 500  # public ids per statement, well inside every database's parameter limit


def _remember(public_ids: list[str]) -> None:
    """The Message-IDs go from the touchpoint rows to SentMessage inside the database: read
    back and built as models they cost the worker more than the rest of a batch's events.
    A Message-ID already remembered (a resend after a crash) is left as it is."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(public_ids))
    # Every name comes from the models; the ids and the time are parameters. The WHERE
    # also keeps SQLite from reading ON CONFLICT as part of the SELECT.
    sql = (
        f"INSERT INTO {quote(SentMessage._meta.db_table)} "  # noqa: S608
        f"({quote('message_id')}, {quote('touchpoint_id')}, {quote('created_at')}) "
        f"SELECT {quote('message_id')}, {quote('id')}, %s "
        f"FROM {quote(Touchpoint._meta.db_table)} "
        f"WHERE {quote('public_id')} IN ({marks}) AND {quote('message_id')} <> '' "
        "ON CONFLICT DO NOTHING"
    )
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [created, *public_ids])
