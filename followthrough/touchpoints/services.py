"""The engagement lifecycle and what people do with touchpoints on the agenda.

Every function validates first, raising ValidationError with a dict naming the field, and
writes in one transaction, so bad input never leaves anything half-saved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook
from followthrough.tenants import audit
from followthrough.tenants.models import Business
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Reason, Status, Touchpoint
from followthrough.touchpoints.planning import SNOOZED, plan_engagement, replan_after
from followthrough.touchpoints.signals import review_ask_stopping

NOTE_MAX = Touchpoint._meta.get_field("outcome_note").max_length


def create_engagement(
    business: Business, customer: Customer, playbook: Playbook | None, *,
    kind: str = "", description: str = "", value: Decimal | str | None = None,
    won_at: dt.datetime, started_at: dt.datetime | None = None,
    delivered_at: dt.datetime | None = None, external_id: str | None = None,
) -> Engagement:
    """Validate, save and plan a new engagement in one transaction."""
    errors = _ownership_errors(business, customer, playbook)
    dates = {"won_at": won_at, "started_at": started_at, "delivered_at": delivered_at}
    errors.update(_naive_errors(dates))
    engagement = Engagement(
        business=business, customer=customer, playbook=playbook, kind=kind or "",
        description=description or "", value=value, external_id=external_id or None, **dates,
    )
    _full_clean(engagement, errors)
    with transaction.atomic():
        engagement.save()
        plan_engagement(engagement)
        events.publish(business, events.ENGAGEMENT_CREATED, engagement_payload(engagement))
    return engagement


def engagement_payload(engagement: Engagement) -> dict:
    """What an `engagement.created` webhook carries: public ids and dates, never the text."""
    def when(at):
        return at.isoformat() if at else None

    return {
        "engagement": engagement.public_id, "customer": engagement.customer.public_id,
        "playbook": engagement.playbook.public_id if engagement.playbook else None,
        "kind": engagement.kind, "external_id": engagement.external_id,
        "won_at": when(engagement.won_at), "started_at": when(engagement.started_at),
        "delivered_at": when(engagement.delivered_at),
    }


def record_event(engagement: Engagement, event: str, at: dt.datetime | None) -> Engagement:
    """Set one lifecycle date (None clears it, except won) and replan."""
    if event not in v.LIFECYCLE_EVENTS:
        raise ValidationError({"event": f"Unknown event {event!r}."})
    field = f"{event}_at"
    errors = _naive_errors({field: at})
    if at is None and event == v.WON:
        errors[field] = "An engagement always has a won date."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = Engagement.objects.select_for_update().get(pk=engagement.pk)
        setattr(fresh, field, at)
        _full_clean(fresh, {})
        fresh.save(update_fields=[field])
        plan_engagement(fresh)
        if event == v.CANCELLED and at is not None:
            lifecycle.cancel_with_engagement(fresh)
    setattr(engagement, field, at)
    return fresh


def _ownership_errors(business: Business, customer: Customer,
                      playbook: Playbook | None) -> dict:
    errors = {}
    if customer is None or customer.business_id != business.pk:
        errors["customer"] = "Choose a customer of this business."
    if playbook is not None and playbook.business_id != business.pk:
        errors["playbook"] = "Choose a playbook of this business."
    elif playbook is not None and not playbook.is_active:
        errors["playbook"] = "This playbook is switched off; switch it on or choose another."
    return errors


def _naive_errors(dates: dict) -> dict:
    return {
        name: "Give the time with its time zone."
        for name, value in dates.items()
        if isinstance(value, dt.datetime) and timezone.is_naive(value)
    }


def _full_clean(instance, errors: dict) -> None:
    try:
        instance.full_clean(exclude=list(errors))
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)


# Touchpoints on the agenda. Only planned rows can change, and each change is a conditional
# update, because the worker may claim the same row at the same moment.

def complete_touch(touchpoint: Touchpoint, user, outcome_note: str = "",
                   when: dt.datetime | None = None) -> Touchpoint:
    """A person did a personal touch (call, card, visit, social, chat), now or at `when`.

    A touch marked missed can still be logged late, with the time it really happened: it
    then counts as done everywhere (the delta, health, the contact budget), at that time.
    """
    if kinds.is_automated(touchpoint.channel):
        raise ValidationError(
            {"channel": "Emails and texts are sent by the worker; cancel it if it should not go."}
        )
    when = _when_done(when)
    if touchpoint.status == Status.MISSED:
        return _resolve(touchpoint, Status.DONE, user, outcome_note, when, due_at=when)
    return _resolve(touchpoint, Status.DONE, user, outcome_note, when)


def _when_done(when: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if when is None:
        return now
    if not isinstance(when, dt.datetime) or timezone.is_naive(when):
        raise ValidationError({"when": "Give the time it happened with its time zone."})
    if when > now:
        raise ValidationError({"when": "That time is still to come; give when it happened."})
    return when


def skip_touch(touchpoint: Touchpoint, user, outcome_note: str = "") -> Touchpoint:
    """A person decided a touch will not happen, and may say why (and must, for the review
    ask of an unhappy customer)."""
    if touchpoint.element == v.REVIEW:
        return stop_review_ask(touchpoint, Status.SKIPPED, user, outcome_note)
    return _resolve(touchpoint, Status.SKIPPED, user, outcome_note)


def cancel_touch(touchpoint: Touchpoint, user, reason: str = "") -> Touchpoint:
    """Stop an upcoming touch (typically an automated message) from happening."""
    if touchpoint.element == v.REVIEW:
        return stop_review_ask(touchpoint, Status.CANCELLED, user, reason)
    note = f"Cancelled by {user.get_username()}." if user is not None else ""
    return _resolve(touchpoint, Status.CANCELLED, user, (reason or "").strip() or note)


# Fair reviews (design.md): every customer gets the same review ask. Stopping the ask of a
# customer who was unhappy is what review gating looks like, so it takes a reason, is in
# the audit log and is counted on Insights ("review asks stopped after a low score").
REVIEW_ASK_STOPPED = "review_ask.stop"


def low_score(touchpoint: Touchpoint) -> str:
    """Why the customer counts as unhappy (the feedback app decides), or ""."""
    answers = review_ask_stopping.send(sender=Touchpoint, touchpoint=touchpoint)
    return next((reason for _, reason in answers if reason), "")


def stop_review_ask(touchpoint: Touchpoint, status: str, user, reason: str) -> Touchpoint:
    reason = (reason or "").strip()
    unhappy = require_stop_reason(touchpoint, reason)
    note = reason
    if not note and status == Status.CANCELLED and user is not None:
        note = f"Cancelled by {user.get_username()}."
    with transaction.atomic():
        touchpoint = _resolve(touchpoint, status, user, note)
        record_review_stop(touchpoint, Status.PLANNED, status, user, unhappy)
    return touchpoint


def require_stop_reason(touchpoint: Touchpoint, reason: str) -> str:
    """Refuse to stop an unhappy customer's review ask without a reason. Returns why they
    count as unhappy ("" when they don't). For any path that stops a review ask."""
    unhappy = low_score(touchpoint)
    if unhappy and not (reason or "").strip():
        raise ValidationError({"outcome_note": (
            f"Say why you're stopping this review ask: {unhappy}. Every customer gets the "
            "same ask whatever they thought of you, so stopping it after a low score needs "
            "a reason, and it goes in the audit log."
        )})
    return unhappy


def record_review_stop(touchpoint: Touchpoint, before: str, status: str, user,
                       unhappy: str) -> None:
    """The audit entry Insights counts. The reason stays on the touchpoint: the log
    outlives an erasure, and the reason may name the customer."""
    audit.record(user, touchpoint.business, REVIEW_ASK_STOPPED, target=touchpoint,
                 changes={"status": [before, status], "after_low_score": bool(unhappy)},
                 summary=_stop_summary(status, bool(unhappy)))


def _stop_summary(status: str, unhappy: bool) -> str:
    verb = "Cancelled" if status == Status.CANCELLED else "Skipped"
    return f"{verb} a review ask" + (" after a low score" if unhappy else "")


def snooze_touch(touchpoint: Touchpoint, until: dt.datetime) -> Touchpoint:
    """Move a planned touch later. Replanning keeps a snoozed time."""
    if not isinstance(until, dt.datetime) or timezone.is_naive(until):
        raise ValidationError({"until": "Give the new time with its time zone."})
    if until <= timezone.now():
        raise ValidationError({"until": "Choose a time in the future."})
    local = until.astimezone(touchpoint.business.zone)
    reason = f"{SNOOZED} to {local:%Y-%m-%d %H:%M}"
    return _change(touchpoint, Status.PLANNED, due_at=until, moved_reason=reason,
                   reason_code=Reason.SNOOZED)


def _resolve(touchpoint: Touchpoint, status: str, user, outcome_note: str,
             completed_at: dt.datetime | None = None, **extra) -> Touchpoint:
    outcome_note = (outcome_note or "").strip()
    if len(outcome_note) > NOTE_MAX:
        raise ValidationError(
            {"outcome_note": f"Keep the note under {NOTE_MAX} characters."}
        )
    changes = {"outcome_note": outcome_note, "completed_at": completed_at or timezone.now(),
               **extra}
    if status == Status.DONE and user is not None and touchpoint.assigned_to_id is None:
        changes["assigned_to"] = user
    if status in (Status.SKIPPED, Status.CANCELLED):
        changes["reason_code"] = Reason.BY_PERSON
    return _change(touchpoint, status, **changes)


# Where a person may change a touch from: planned ones, and a missed one only to log it done.
CHANGEABLE = {Status.PLANNED: None, Status.MISSED: Status.DONE}


def _change(touchpoint: Touchpoint, to: str, **changes) -> Touchpoint:
    """A person's change, through the lifecycle; a touch that moved on meanwhile (or one
    in a state a person may not change) is refused with its state named."""
    touchpoint.refresh_from_db(fields=["status"])
    current = touchpoint.status
    if current not in CHANGEABLE or CHANGEABLE[current] not in (None, to):
        label = dict(Status.CHOICES).get(current, current).lower()
        raise ValidationError(
            {"status": f"This touchpoint is already {label}; only planned ones can change."}
        )
    with transaction.atomic():
        row = lifecycle.change(touchpoint, to, **changes)
        if to in ENDS_A_TOUCH:
            # What the cap moved because of it moves back; a repeat gets its next one.
            transaction.on_commit(lambda: replan_after(row))
    return row


ENDS_A_TOUCH = frozenset({Status.DONE, Status.SKIPPED, Status.CANCELLED})
