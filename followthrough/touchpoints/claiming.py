"""Claiming: which due rows a pass takes, fairly across businesses, and the claim itself.

A batch is claimed with a conditional update, planned → sending, with a lease and a claim
token. SELECT … FOR UPDATE SKIP LOCKED picks the rows on PostgreSQL; on SQLite the
IMMEDIATE transaction holds the write lock from the pick to the update."""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from followthrough.channels import kinds
from followthrough.channels.transports import businesses_without_sms, sendable_channels
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.ratelimits import RateLimits


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


def claim(now: dt.datetime, limit: int,
          report=None) -> tuple[str, list[Touchpoint]]:
    """Claim up to `limit` due rows for this pass; returns the claim token and the rows.

    Fair across businesses: the businesses with due rows take turns (the one waiting longest
    first), so one business's big import does not hold the others back. Send-rate limits
    (install-wide and per business) cap how many rows a claim may take; a claim they cut
    short counts in `report.throttled` (the pass's PassReport)."""
    token = new_public_id()
    # SMS rows stay planned (and unclaimed) until the SMS transport is configured.
    channels = sorted(sendable_channels())
    candidates = sendable(due_rows(now).filter(channel__in=channels))
    lock = connection.features.has_select_for_update_skip_locked
    if lock:
        candidates = candidates.select_for_update(skip_locked=True)
    with transaction.atomic():
        limits = RateLimits.load(now)
        ids = pick_fairly(candidates, channels, now, limits.install_allowance(limit), limits)
        if ids:
            lifecycle.transition(
                Touchpoint.objects.filter(id__in=ids), Status.SENDING, from_=Status.PLANNED,
                claimed_by=token, updated_at=now,
                lease_until=now + dt.timedelta(seconds=settings.WORKER_LEASE_SECONDS),
            )
        limits.spend(ids)
    if report is not None and limits.throttled:
        report.throttled += 1
    if not ids:
        return token, []
    rows = (
        Touchpoint.objects.filter(id__in=ids, claimed_by=token, status=Status.SENDING)
        .select_related("business", "customer", "engagement", "step")
        .order_by("due_at", "id")
    )
    return token, list(rows)


def sendable(rows):
    """`rows` without the texts of businesses that have no Twilio account yet: those stay
    planned, unclaimed, until the account is set up."""
    waiting = businesses_without_sms()
    if waiting is None:
        return rows
    return rows.exclude(channel=kinds.SMS, business_id__in=waiting)


def businesses_waiting(channels: list[str], now: dt.datetime, limit: int) -> list[int]:
    """The ids of businesses with due rows, the one whose oldest due row is oldest first.
    One index seek per business (touchpoint_due_by_business)."""
    oldest = (
        sendable(Touchpoint.objects.filter(business_id=OuterRef("pk"), status=Status.PLANNED,
                                           channel__in=channels, due_at__lte=now))
        .order_by("due_at").values("due_at")[:1]
    )
    return list(
        Business.objects.annotate(oldest_due=Subquery(oldest))
        .filter(oldest_due__isnull=False).order_by("oldest_due", "id")
        .values_list("id", flat=True)[:max(limit, 1)]
    )


def pick_fairly(candidates, channels: list[str], now: dt.datetime, limit: int,
                limits: "RateLimits") -> list[int]:
    """Round-robin over the waiting businesses: an equal share each, then what is left over
    goes to the businesses that still have more."""
    if limit <= 0:
        return []
    businesses = businesses_waiting(channels, now, limit)
    if len(businesses) <= 1 and not limits.per_business:
        return list(candidates.order_by("due_at").values_list("id", flat=True)[:limit])
    picked: dict[int, list[int]] = {business: [] for business in businesses}
    hungry = list(businesses)
    for _round in range(3):
        room = limit - sum(len(ids) for ids in picked.values())
        if room <= 0 or not hungry:
            break
        share = max(1, room // len(hungry))
        still_hungry = []
        for business in hungry:
            want = min(share, room, limits.business_allowance(business, len(picked[business])))
            if want <= 0:
                continue
            rows = candidates.filter(business_id=business).exclude(id__in=picked[business])
            got = list(rows.order_by("due_at").values_list("id", flat=True)[:want])
            picked[business] += got
            room -= len(got)
            if len(got) == want:
                still_hungry.append(business)
            if room <= 0:
                break
        hungry = still_hungry
    return [row_id for ids in picked.values() for row_id in ids]
