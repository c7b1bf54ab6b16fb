"""What people do on the agenda: outcomes, assignment, approvals, promises, card batches,
maintenance reminders. Each function validates first (ValidationError naming the field) and
writes in one transaction; touchpoint changes are conditional on the row's status, because
the worker may claim the same row at the same moment."""

from __future__ import annotations

import calendar as cal
import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough import events
from followthrough import vocabulary as v
from followthrough.agenda.models import (
    CardBatch,
    Opportunity,
    Promise,
    ServiceInterval,
    ServicePlan,
)
from followthrough.channels import kinds
from followthrough.customers.consent import do_not_contact, may_contact
from followthrough.playbooks import fairness
from followthrough.playbooks.planner import settle, to_utc
from followthrough.tenants.models import Membership
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints import services as touch_services
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint
from followthrough.touchpoints.planning import SNOOZED, customer_calendar, replan_after
from followthrough.touchpoints.views import render_touch

NO_ANSWER = f"{SNOOZED}: no answer, trying again"
TEXT_MAX = 300


# Outcomes of a call (or any personal touch).

REACHED, NO_ANSWER_OUTCOME, NOT_POSSIBLE = "reached", "no_answer", "not_possible"
OUTCOMES = (REACHED, NO_ANSWER_OUTCOME, NOT_POSSIBLE)


def record_outcome(touchpoint: Touchpoint, user, outcome: str, note: str = "",
                   now: dt.datetime | None = None,
                   when: dt.datetime | None = None) -> tuple[Touchpoint, str]:
    """Reached → done (at `when` if given: a late log); no answer → tried again next business
    day, once; not possible → skipped with the reason. A missed touch can only be logged as
    done. Returns the touchpoint and what happened, in words."""
    now = now or timezone.now()
    note = (note or "").strip()
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Choose reached, no answer or not possible."})
    late = touchpoint.status == Status.MISSED
    if late and outcome != REACHED:
        raise ValidationError({"outcome": "This one was already marked missed; you can still "
                                          "log it as done if it happened."})
    if outcome == REACHED:
        touch_services.complete_touch(touchpoint, user, note, when)
        done = "Logged late" if late else "Nice work"
        return touchpoint, f"{done}: {touchpoint.name} with {touchpoint.customer.name} is done."
    if outcome == NOT_POSSIBLE:
        if not note:
            raise ValidationError({"outcome_note": "Say why it isn't possible, in a few words."})
        touch_services.skip_touch(touchpoint, user, note)
        return touchpoint, f"Noted: {touchpoint.name} with {touchpoint.customer.name} won't happen."
    if touchpoint.reason_code == Reason.NO_ANSWER:
        text = f"No answer twice. {note}".strip()
        touch_services.skip_touch(touchpoint, user, text)
        return touchpoint, f"No answer again, so we've let {touchpoint.name} go. Try another way?"
    until = retry_time(touchpoint, now)
    local = until.astimezone(touchpoint.business.zone)
    changed = lifecycle.transition(
        touchpoint, Status.PLANNED, from_=Status.PLANNED, reason_code=Reason.NO_ANSWER,
        due_at=until, moved_reason=f"{NO_ANSWER} {local:%a %d %b %H:%M}",
        outcome_note=note[:2000],
    )
    if changed != 1:
        raise ValidationError({"status": "This touch was already taken care of."})
    touchpoint.refresh_from_db()
    return touchpoint, f"No answer: we'll put {touchpoint.name} back on {local:%A at %H:%M}."


def retry_time(touchpoint: Touchpoint, now: dt.datetime) -> dt.datetime:
    """The same local time on the next business day, inside business hours and, for a call
    or a text, inside the customer's call hours (their time)."""
    calendar = customer_calendar(touchpoint.business, touchpoint.customer)
    local = now.astimezone(calendar.zone)
    wanted = dt.datetime.combine(local.date() + dt.timedelta(days=1), local.time())
    due, _ = to_utc(wanted, calendar.zone)
    due, _ = settle(due, touchpoint.channel, calendar)
    return due


def assign(touchpoint: Touchpoint, username: str) -> Touchpoint:
    """Give a touch to a member of the business, or to nobody with an empty username."""
    user = None
    if username:
        membership = (Membership.objects.filter(business_id=touchpoint.business_id,
                                                user__username=username)
                      .select_related("user").first())
        if membership is None:
            raise ValidationError({"assigned_to": "Choose someone who works here."})
        user = membership.user
    changed = Touchpoint.objects.filter(
        pk=touchpoint.pk, status__in=(Status.PLANNED, Status.DRAFT)
    ).update(assigned_to=user, updated_at=timezone.now())
    if changed != 1:
        raise ValidationError({"status": "This touch was already taken care of."})
    touchpoint.refresh_from_db()
    return touchpoint


# Approve before send.

# "[one or two lines]": what a template leaves for a person to write. Brackets on one line
# with something inside; a draft holding one is not ready to go.
PLACEHOLDER = re.compile(r"\[[^\[\]\n]*[^\[\]\s][^\[\]\n]*\]")


def placeholder_problem(subject: str, body: str) -> dict[str, str]:
    """{field: what to fill in}, quoting the first line that still holds a [placeholder]."""
    for field, text in (("subject", subject or ""), ("body", body or "")):
        for number, line in enumerate(text.splitlines(), start=1):
            if PLACEHOLDER.search(line):
                where = "the subject" if field == "subject" else f"line {number}"
                return {field: f"Fill in {where} before approving: “{line.strip()}”. "
                               "Replace the words in [brackets] with your own."}
    return {}


def approve(touchpoint: Touchpoint, subject: str | None = None,
            body: str | None = None) -> Touchpoint:
    """A draft goes out as planned; with subject/body, the edited text is what is sent.
    A draft still holding a [placeholder] is refused, naming the line to fill in."""
    changes = {}
    if body is not None:
        subject, body = (subject or "").strip(), body.strip()
        if "\n" in subject or "\r" in subject:
            raise ValidationError({"subject": "A subject is one line."})
        if len(subject) > 300:
            raise ValidationError({"subject": "Keep the subject under 300 characters."})
        if touchpoint.channel == kinds.EMAIL and not subject:
            raise ValidationError({"subject": "An email needs a subject."})
        if not body:
            raise ValidationError({"body": "Write the message, or skip it instead."})
        # An edit must not add what a step may not say: "$25 off if you loved it".
        unfair = fairness.check_step(touchpoint.element, subject, body)
        if unfair:
            raise ValidationError(unfair)
        changes.update(rendered_subject=subject, rendered_body=body)
    else:
        subject, body, _ = render_touch(touchpoint)
    unfinished = placeholder_problem(subject, body)
    if unfinished:
        raise ValidationError(unfinished)
    if lifecycle.transition(touchpoint, Status.PLANNED, from_=Status.DRAFT, **changes) != 1:
        raise ValidationError({"status": "This message isn't waiting for approval any more."})
    touchpoint.refresh_from_db()
    return touchpoint


def skip_draft(touchpoint: Touchpoint, user, reason: str = "") -> Touchpoint:
    """Skip a draft. An unhappy customer's review ask needs a reason, audited, like a
    planned one (touchpoints.services.stop_review_ask)."""
    reason = (reason or "").strip()
    is_review = touchpoint.element == v.REVIEW
    unhappy = touch_services.require_stop_reason(touchpoint, reason) if is_review else ""
    note = reason or (f"Skipped before sending by {user.get_username()}." if user else "")
    with transaction.atomic():
        _skip(touchpoint, note)
        if is_review:
            touch_services.record_review_stop(touchpoint, Status.DRAFT, Status.SKIPPED, user,
                                              unhappy)
    touchpoint.refresh_from_db()
    return touchpoint


def _skip(touchpoint: Touchpoint, note: str) -> None:
    changed = lifecycle.transition(touchpoint, Status.SKIPPED, from_=Status.DRAFT,
                                   reason_code=Reason.BY_PERSON, outcome_note=note,
                                   completed_at=timezone.now())
    if changed != 1:
        raise ValidationError({"status": "This message isn't waiting for approval any more."})
    # A skipped progress update makes room for the next one.
    transaction.on_commit(lambda: replan_after(touchpoint))


# "What else can we do for you?"

def capture_opportunity(touchpoint: Touchpoint, user, text: str) -> Opportunity:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write down what they asked about."})
    if len(text) > 500:
        raise ValidationError({"text": "Keep it under 500 characters."})
    return Opportunity.objects.create(
        business_id=touchpoint.business_id, customer_id=touchpoint.customer_id,
        source=touchpoint, text=text, created_by=user,
    )


def close_opportunity(opportunity: Opportunity, status: str) -> Opportunity:
    if status not in (Opportunity.BOOKED, Opportunity.DROPPED):
        raise ValidationError({"status": "Choose booked or let go."})
    Opportunity.objects.filter(pk=opportunity.pk, status=Opportunity.OPEN).update(status=status)
    opportunity.refresh_from_db()
    return opportunity


# Promises.

def make_promise(business, customer, user, what: str, due_on) -> Promise:
    errors = {}
    what = (what or "").strip()
    if customer is None or customer.business_id != business.pk:
        errors["customer"] = "Choose a customer of this business."
    if not what:
        errors["what"] = "Say what you promised."
    elif len(what) > TEXT_MAX:
        errors["what"] = f"Keep it under {TEXT_MAX} characters."
    if not isinstance(due_on, dt.date):
        errors["due_on"] = "Give the date you promised it by."
    if errors:
        raise ValidationError(errors)
    return Promise.objects.create(business=business, customer=customer, made_by=user,
                                  what=what, due_on=due_on)


def keep_promise(promise: Promise) -> Promise:
    return _resolve_promise(promise, status=Promise.KEPT)


def break_promise(promise: Promise, honest_note: str, make_good: str = "") -> Promise:
    honest_note, make_good = (honest_note or "").strip(), (make_good or "").strip()
    if not honest_note:
        raise ValidationError(
            {"honest_note": "Write what you told the customer: an honest word goes a long way."}
        )
    if len(honest_note) > 2000:
        raise ValidationError({"honest_note": "Keep the note under 2000 characters."})
    if len(make_good) > TEXT_MAX:
        raise ValidationError({"make_good": f"Keep it under {TEXT_MAX} characters."})
    return _resolve_promise(promise, status=Promise.BROKEN, honest_note=honest_note,
                            make_good=make_good)


def _resolve_promise(promise: Promise, **changes) -> Promise:
    changed = Promise.objects.filter(pk=promise.pk, status=Promise.OPEN).update(
        resolved_at=timezone.now(), **changes
    )
    if changed != 1:
        raise ValidationError({"status": "This promise was already settled."})
    promise.refresh_from_db()
    return promise


def local_today(business, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(business.zone).date()


def overdue_promises(business, now: dt.datetime | None = None):
    return Promise.objects.filter(business=business, status=Promise.OPEN,
                                  due_on__lt=local_today(business, now))


def publish_overdue_promises(business, now: dt.datetime | None = None) -> int:
    """PROMISE_OVERDUE once per promise: the conditional update picks each one only once."""
    published = 0
    for promise in overdue_promises(business, now).filter(overdue_published_at__isnull=True):
        with transaction.atomic():
            claimed = Promise.objects.filter(
                pk=promise.pk, overdue_published_at__isnull=True
            ).update(overdue_published_at=timezone.now())
            if claimed:
                events.publish(business, events.PROMISE_OVERDUE, {
                    "promise": promise.public_id, "customer": promise.customer.public_id,
                    "what": promise.what, "due_on": promise.due_on.isoformat(),
                })
                published += 1
    return published


def keeping_rate(business) -> tuple[int, int, int | None]:
    """(kept, broken, percent kept of those settled; None before any is settled)."""
    kept = Promise.objects.filter(business=business, status=Promise.KEPT).count()
    broken = Promise.objects.filter(business=business, status=Promise.BROKEN).count()
    settled = kept + broken
    return kept, broken, (round(100 * kept / settled) if settled else None)


# Card batches.

def cards_to_write(business, until: dt.datetime):
    return (
        Touchpoint.objects.filter(business=business, status=Status.PLANNED,
                                  channel=kinds.CARD, due_at__lt=until)
        .exclude(card_batches__in=CardBatch.objects.filter(posted_at__isnull=True))
        .select_related("customer", "engagement", "step")
        .order_by("due_at", "id")
    )


def create_batch(business, user, until: dt.datetime) -> CardBatch:
    with transaction.atomic():
        cards = list(cards_to_write(business, until))
        if not cards:
            raise ValidationError({"cards": "There are no cards to write right now."})
        batch = CardBatch.objects.create(business=business, created_by=user)
        batch.touchpoints.set(cards)
    return batch


def mark_posted(batch: CardBatch, user) -> int:
    """Every card still planned in the batch is done; returns how many."""
    if batch.posted_at:
        raise ValidationError({"batch": "This batch is already posted."})
    done = 0
    with transaction.atomic():
        claimed = CardBatch.objects.filter(pk=batch.pk, posted_at__isnull=True).update(
            posted_at=timezone.now()
        )
        if not claimed:
            raise ValidationError({"batch": "This batch is already posted."})
        for touchpoint in batch.touchpoints.filter(status=Status.PLANNED):
            touch_services.complete_touch(touchpoint, user, "Posted with a card batch.")
            done += 1
    batch.refresh_from_db()
    return done


# Maintenance and reorder reminders.

REMINDER_TIME = dt.time(10, 0)
# Keep this many reminders planned ahead; the daily run tops them up.
REMINDERS_AHEAD = 2
MAX_REMINDERS = 120


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, cal.monthrange(year, month)[1]))


def due_date(interval: ServiceInterval, start: dt.date, n: int) -> dt.date:
    """The n-th due date (n ≥ 1) counted from the start, never drifting on short months."""
    if interval.unit == ServiceInterval.WEEKS:
        return start + dt.timedelta(weeks=interval.every * n)
    return add_months(start, interval.every * n)


def reminder_key(plan: ServicePlan, n: int) -> str:
    return f"maintenance:{plan.public_id}:{n}"


def plan_rows(plan: ServicePlan):
    """The plan's reminders: maintenance rows of its engagement with one of its keys (the
    keys are made here, never parsed)."""
    keys = [reminder_key(plan, n) for n in range(1, MAX_REMINDERS + 1)]
    return Touchpoint.objects.filter(origin=Origin.MAINTENANCE, engagement_id=plan.engagement_id,
                                     idempotency_key__in=keys)


def start_service_plan(engagement, interval: ServiceInterval,
                       now: dt.datetime | None = None) -> ServicePlan:
    errors = {}
    if interval.business_id != engagement.business_id:
        errors["interval"] = "Choose a reminder of this business."
    if not engagement.delivered_at:
        errors["engagement"] = "Reminders start once the job is delivered; record delivery first."
    if engagement.cancelled_at or engagement.closed_at:
        errors["engagement"] = "This engagement is closed, so there is nothing to remind about."
    if ServicePlan.objects.filter(engagement=engagement, interval=interval).exists():
        errors["interval"] = "These reminders are already running for this engagement."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = ServicePlan.objects.create(business_id=engagement.business_id,
                                          engagement=engagement, interval=interval)
        plan_reminders(plan, now)
    return plan


def stop_service_plan(plan: ServicePlan, reason: str) -> int:
    with transaction.atomic():
        ServicePlan.objects.filter(pk=plan.pk, stopped_at__isnull=True).update(
            stopped_at=timezone.now(), stop_reason=reason[:200]
        )
        return lifecycle.transition(plan_rows(plan), Status.CANCELLED, from_=Status.PLANNED,
                                    reason_code=Reason.PLAN_STOPPED, moved_reason=reason[:200])


def plan_reminders(plan: ServicePlan, now: dt.datetime | None = None) -> int:
    """Top up the plan's reminders: REMINDERS_AHEAD future ones. Returns rows created."""
    now = now or timezone.now()
    engagement = plan.engagement
    if plan.stopped_at:
        return 0
    if engagement.closed_at or engagement.cancelled_at:
        stop_service_plan(plan, "engagement closed")
        return 0
    interval = plan.interval
    customer = engagement.customer
    purpose = v.TRANSACTIONAL if interval.channel == kinds.CALL else v.RELATIONSHIP
    if do_not_contact(customer) or (
            kinds.is_automated(interval.channel)
            and not may_contact(customer, interval.channel, purpose)):
        stop_service_plan(plan, "customer opted out")
        return 0
    calendar = customer_calendar(plan.business, customer)
    start = engagement.delivered_at.astimezone(calendar.zone).date()
    existing = set(plan_rows(plan).values_list("idempotency_key", flat=True))
    created, ahead = 0, 0
    for n in range(1, MAX_REMINDERS + 1):
        due_on = due_date(interval, start, n)
        remind_on = max(due_on - dt.timedelta(days=interval.lead_days), start)
        intent = dt.datetime.combine(remind_on, REMINDER_TIME)
        due_at, reason = to_utc(intent, calendar.zone)
        # Quiet hours for email, business hours for the rest, and a call or text inside
        # the customer's call hours, as the planner does for playbook steps.
        due_at, moves = settle(due_at, interval.channel, calendar)
        moved = "; ".join(moves)
        if due_at < now - calendar.catch_up:
            continue
        ahead += 1
        key = reminder_key(plan, n)
        if key not in existing:
            _create_reminder(plan, n, key, due_on, intent, due_at, "; ".join(
                r for r in (reason, moved) if r), purpose)
            created += 1
        if ahead >= REMINDERS_AHEAD:
            break
    return created


def _create_reminder(plan, n, key, due_on, intent, due_at, reason, purpose) -> Touchpoint:
    engagement, interval = plan.engagement, plan.interval
    business, customer = plan.business, engagement.customer
    context = {"business": business, "customer": customer, "interval": interval,
               "due_on": due_on, "engagement": engagement}
    subject = f"Time for your {interval.name.lower()}, {customer.first_name}"
    body = render_to_string("agenda/messages/maintenance.txt", context).strip()
    return lifecycle.create(
        origin=Origin.MAINTENANCE, business=business, engagement=engagement,
        customer=customer, occurrence=n, idempotency_key=key, name=f"{interval.name} reminder",
        channel=interval.channel, stage=4, element=v.MAINTENANCE, purpose=purpose,
        due_at=due_at, local_date=intent.date(), local_time=intent.time(),
        moved_reason=reason[:200], reason_code=lifecycle.words_reason(reason),
        rendered_subject=subject[:300], rendered_body=body,
        recipient=customer.email if interval.channel == kinds.EMAIL else "",
    )


def plan_all_reminders(now: dt.datetime | None = None) -> int:
    created = 0
    plans = ServicePlan.objects.filter(stopped_at__isnull=True).select_related(
        "business", "interval", "engagement__customer"
    )
    for plan in plans:
        created += plan_reminders(plan, now)
    return created


def book_new_job(touchpoint: Touchpoint, user, now: dt.datetime | None = None):
    """A reminder became a booking: a new engagement with the same playbook, and the reminder
    is done."""
    now = now or timezone.now()
    old = touchpoint.engagement
    with transaction.atomic():
        engagement = touch_services.create_engagement(
            touchpoint.business, touchpoint.customer,
            old.playbook if old.playbook and old.playbook.is_active else None,
            kind=old.kind, description=touchpoint.name.removesuffix(" reminder"), won_at=now,
        )
        lifecycle.transition(touchpoint, Status.DONE, from_=Status.PLANNED, completed_at=now,
                             updated_at=now, outcome_note="Booked as a new job.",
                             assigned_to=touchpoint.assigned_to or user)
    return engagement
