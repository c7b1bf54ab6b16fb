"""Re-checking: just before sending, a claimed row is read again. Cancellation, consent,
address, lateness and quiet hours can all have changed since it was planned."""

import datetime as dt

from followthrough.channels import kinds
from followthrough.customers.consent import may_contact_many
from followthrough.customers.models import ConsentEvent, Engagement
from followthrough.playbooks import vocabulary as v
from followthrough.touchpoints.delivery import _settle
from followthrough.touchpoints.models import Status, Touchpoint

ON_HOLD = "Paused while an unhappy customer is won back."
UNSUBSCRIBED = "unsubscribed"
QUIET_HOURS = "quiet hours"


def quiet_hours_end(business, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours that `now` falls in end (UTC), or None outside quiet hours."""
    zone = business.zone
    local = now.astimezone(zone)
    start, end, time = business.quiet_hours_start, business.quiet_hours_end, local.time()
    if start < end:
        inside, end_date = start <= time < end, local.date()
    else:  # the quiet hours wrap midnight
        inside = time >= start or time < end
        end_date = local.date() + dt.timedelta(days=1) if time >= start else local.date()
    if not inside:
        return None
    # fold=0: an ambiguous end takes its first occurrence, a missing one moves past the gap.
    return dt.datetime.combine(end_date, end, tzinfo=zone).astimezone(dt.UTC)


def refresh_cancellations(rows: list[Touchpoint]) -> None:
    """Read cancellations again: the engagement may have been cancelled since the claim."""
    cancelled_at = dict(
        Engagement.objects.filter(id__in={row.engagement_id for row in rows})
        .values_list("id", "cancelled_at")
    )
    for row in rows:
        row.engagement.cancelled_at = cancelled_at.get(row.engagement_id)


def contactable(rows: list[Touchpoint]) -> set[int]:
    """The ids of the rows whose customer may be contacted, reading the ledger once a batch.

    A withdrawal recorded for transactional messages too (a hard bounce, or STOP by text)
    stops every message on that channel: the address or number cannot take any."""
    allowed = may_contact_many((row.customer_id, row.channel, row.purpose) for row in rows)
    blocked = suppressed({row.customer_id for row in rows})
    return {row.id for row in rows if (row.customer_id, row.channel, row.purpose) in allowed
            and (row.customer_id, row.channel) not in blocked}


def suppressed(customer_ids: set[int]) -> set[tuple[int, str]]:
    """(customer id, channel) pairs whose newest transactional ledger event withdraws."""
    latest: dict[tuple[int, str], bool] = {}
    rows = ConsentEvent.objects.filter(
        customer_id__in=customer_ids, purpose=v.TRANSACTIONAL
    ).order_by("at", "id").values_list("customer_id", "channel", "granted")
    for customer_id, channel, granted in rows:
        latest[(customer_id, channel)] = granted
    return {key for key, granted in latest.items() if not granted}


def recheck(row: Touchpoint, now: dt.datetime, may_contact_row: bool) -> str | None:
    """Settle a row that must not be sent now; returns its outcome, or None to send it."""
    business = row.business
    if row.engagement.cancelled_at:
        return _settle(row, Status.CANCELLED, "cancelled", note="The engagement was cancelled.")
    if not may_contact_row:
        return _settle(row, Status.SKIPPED, "skipped", note=UNSUBSCRIBED)
    if row.purpose == v.MARKETING and row.customer.marketing_hold:
        return _settle(row, Status.PAUSED, "paused", note=ON_HOLD)
    if row.channel == kinds.SMS and not row.customer.phone:
        return _settle(row, Status.FAILED, "failed", error="The customer has no phone number.")
    if row.channel == kinds.EMAIL and not row.customer.email:
        return _settle(row, Status.FAILED, "failed", error="The customer has no email address.")
    if now - row.due_at > dt.timedelta(days=business.catch_up_days):
        note = f"More than {business.catch_up_days} days late; not sent as a surprise."
        return _settle(row, Status.MISSED, "missed", note=note)
    quiet_end = quiet_hours_end(business, now)
    if quiet_end:
        row.due_at, row.moved_reason = quiet_end, QUIET_HOURS
        return _settle(row, Status.PLANNED, "moved")
    return None
