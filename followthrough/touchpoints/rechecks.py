"""Re-checking: just before sending, a claimed row is read again. Cancellation, consent,
address, lateness and quiet hours can all have changed since it was planned.

The rules are not written here: consent is customers/consent.py's (may_contact_many) and
quiet hours are the planner's (playbooks/planner.py outside_quiet_hours), so what the worker
holds back is exactly what the planner would not have planned."""

import datetime as dt

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import may_contact_many
from followthrough.customers.models import Engagement
from followthrough.customers.services import can_text
from followthrough.playbooks.planner import outside_quiet_hours
from followthrough.touchpoints.delivery import settle
from followthrough.touchpoints.models import Reason, Touchpoint
from followthrough.touchpoints.planning import business_calendar

ON_HOLD = "Paused while an unhappy customer is won back."
UNSUBSCRIBED = "unsubscribed"
LANDLINE = "The number is a landline: it takes calls, not texts."
QUIET_HOURS = "quiet hours"


def quiet_hours_end(business, now: dt.datetime, ends: dict) -> dt.datetime | None:
    """When the quiet hours that `now` falls in end (UTC), or None outside quiet hours: the
    planner's rule, asked once per business of a batch (`ends` keeps the answers). A
    business whose settings break it raises here, inside its own rows' re-check."""
    if business.pk not in ends:
        moved, _ = outside_quiet_hours(now, business_calendar(business))
        ends[business.pk] = moved if moved != now else None
    return ends[business.pk]


def refresh_cancellations(rows: list[Touchpoint]) -> None:
    """Read cancellations again: the engagement may have been cancelled since the claim."""
    cancelled_at = dict(
        Engagement.objects.filter(id__in={row.engagement_id for row in rows})
        .values_list("id", "cancelled_at")
    )
    for row in rows:
        row.engagement.cancelled_at = cancelled_at.get(row.engagement_id)


def contactable(rows: list[Touchpoint]) -> set[int]:
    """The ids of the rows whose customer may be contacted, reading the ledger and the
    suppression list once a batch (customers/consent.py decides)."""
    allowed = may_contact_many((row.customer_id, row.channel, row.purpose) for row in rows)
    return {row.id for row in rows if (row.customer_id, row.channel, row.purpose) in allowed}


def recheck(row: Touchpoint, now: dt.datetime, may_contact_row: bool,
            quiet_ends: dict) -> str | None:
    """Settle a row that must not be sent now; returns its outcome, or None to send it.
    `quiet_ends` is the batch's cache for quiet_hours_end()."""
    business = row.business
    if row.engagement.cancelled_at:
        return settle(row, "cancelled", Reason.ENGAGEMENT_CANCELLED,
                      note="The engagement was cancelled.")
    if not may_contact_row:
        return settle(row, "skipped", Reason.NO_CONSENT, note=UNSUBSCRIBED)
    if row.purpose == v.MARKETING and row.customer.marketing_hold:
        return settle(row, "paused", Reason.INCIDENT_OPEN, note=ON_HOLD)
    if row.channel == kinds.SMS and not row.customer.phone:
        return settle(row, "failed", Reason.NO_ADDRESS, error="The customer has no phone number.")
    if row.channel == kinds.SMS and not can_text(row.customer.phone):
        return settle(row, "skipped", Reason.NO_ADDRESS, note=LANDLINE)
    if row.channel == kinds.EMAIL and not row.customer.email:
        return settle(row, "failed", Reason.NO_ADDRESS,
                      error="The customer has no email address.")
    if now - row.due_at > dt.timedelta(days=business.catch_up_days):
        note = f"More than {business.catch_up_days} days late; not sent as a surprise."
        return settle(row, "missed", Reason.CATCH_UP_MISSED, note=note)
    quiet_end = quiet_hours_end(business, now, quiet_ends)
    if quiet_end:
        row.due_at, row.moved_reason = quiet_end, QUIET_HOURS
        return settle(row, "moved", Reason.QUIET_HOURS)
    return None
