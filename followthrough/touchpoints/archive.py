"""The archive policy: keep the touchpoint table lean as history piles up.

The worker's due-rows query reads only the partial index of planned rows, so finished rows
never slow sending down. What they do cost is space: every sent message keeps a copy of its
subject and body. Two steps, each optional:

- `clear_text(older_than)`: finished rows older than the cutoff lose their stored message
  text (subject, body, last error). The rows stay, so counts, timelines and the delta are
  unchanged; a timeline shows the touch, without the words that went out.
- `delete_finished(older_than)`: finished rows older than the cutoff are deleted, with what
  hangs off them (review clicks). History, insights and the delta lose them for good.

Both work in chunks, each its own short transaction, so the worker and the web pages are
never held up behind one long lock. `followthrough archive --older-than DAYS` runs them by
hand; ARCHIVE_AFTER_DAYS and ARCHIVE_DELETE_AFTER_DAYS make the worker run them daily."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from followthrough.touchpoints.models import Status, Touchpoint

CHUNK = 2000
FINISHED = sorted(Status.FINISHED)


def finished_before(cutoff: dt.datetime):
    return Touchpoint.objects.filter(status__in=FINISHED).filter(
        Q(completed_at__lt=cutoff) | Q(completed_at__isnull=True, due_at__lt=cutoff)
    )


def clear_text(older_than: dt.timedelta, now: dt.datetime | None = None,
               dry_run: bool = False) -> int:
    """Blank the stored message text of finished rows older than `older_than`."""
    cutoff = (now or timezone.now()) - older_than
    rows = finished_before(cutoff).exclude(rendered_subject="", rendered_body="", last_error="")
    if dry_run:
        return rows.count()
    cleared = 0
    while True:
        ids = list(rows.order_by("id").values_list("id", flat=True)[:CHUNK])
        if not ids:
            return cleared
        with transaction.atomic():
            cleared += Touchpoint.objects.filter(id__in=ids).update(
                rendered_subject="", rendered_body="", last_error="")


def delete_finished(older_than: dt.timedelta, now: dt.datetime | None = None,
                    dry_run: bool = False) -> int:
    """Delete finished rows older than `older_than`; returns how many touchpoints went."""
    cutoff = (now or timezone.now()) - older_than
    rows = finished_before(cutoff)
    if dry_run:
        return rows.count()
    deleted = 0
    while True:
        ids = list(rows.order_by("id").values_list("id", flat=True)[:CHUNK])
        if not ids:
            return deleted
        with transaction.atomic():
            _total, per_model = Touchpoint.objects.filter(id__in=ids).delete()
        deleted += per_model.get(Touchpoint._meta.label, 0)


def apply_policy(clear_after_days: int, delete_after_days: int,
                 now: dt.datetime | None = None) -> dict[str, int]:
    """The daily run from the worker: each step only when its setting is above zero."""
    done = {"cleared": 0, "deleted": 0}
    if delete_after_days > 0:
        done["deleted"] = delete_finished(dt.timedelta(days=delete_after_days), now)
    if clear_after_days > 0:
        done["cleared"] = clear_text(dt.timedelta(days=clear_after_days), now)
    return done
