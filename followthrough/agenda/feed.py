"""The calendar feed: /cal/<token>.ics, one per person, with their personal touches,
visits, maintenance appointments and promises as events, because Google Calendar ignores
iCalendar task components.

RFC 5545 gives a VEVENT only TENTATIVE, CONFIRMED or CANCELLED (COMPLETED belongs to
VTODO), so a kept or broken promise stays CONFIRMED, with its outcome in the summary:
it happened, and CANCELLED would make calendar apps strike it out or hide it."""

import datetime as dt
import re

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Alarm, Calendar, Event

from followthrough import vocabulary as v
from followthrough.agenda.models import Preference, Promise
from followthrough.channels import kinds
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Status, Touchpoint

CANCELLED_KEPT = dt.timedelta(days=30)
PAST_KEPT = dt.timedelta(days=30)
DURATIONS = {kinds.VISIT: dt.timedelta(hours=1), kinds.CARD: dt.timedelta(minutes=15)}
SHOWN = (Status.PLANNED, Status.DONE, Status.SKIPPED, Status.CANCELLED)
CALL_REMINDER = dt.timedelta(minutes=15)
FETCH_NOTED_EVERY = dt.timedelta(hours=1)
PROMISE_OUTCOMES = {Promise.KEPT: "Kept", Promise.BROKEN: "Broken"}


# icalendar escapes \\ ; , and \n in text values, but passes a lone CR and other control
# characters through raw, and some calendar apps end a line at a CR: a name with
# "\rBEGIN:VEVENT" could then start a component of its own.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def ical_text(value) -> str:
    """Text for an iCalendar property: line breaks as \\n (icalendar escapes them), tabs as
    spaces and no other control characters."""
    text = _LINE_BREAKS.sub("\n", str(value)).replace("\t", " ")
    return _CONTROLS.sub("", text)


def sequence(updated_at: dt.datetime) -> int:
    """Grows whenever the row changes: seconds since 2024, from updated_at (auto_now)."""
    return max(0, int((updated_at - dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).total_seconds()))


def touch_event(touch: Touchpoint) -> Event:
    event = Event()
    event.add("uid", f"touch-{touch.public_id}@followthrough")
    event.add("dtstamp", touch.updated_at.astimezone(dt.UTC))
    event.add("dtstart", touch.due_at.astimezone(dt.UTC))
    event.add("dtend", touch.due_at.astimezone(dt.UTC)
              + DURATIONS.get(touch.channel, dt.timedelta(minutes=30)))
    event.add("summary", ical_text(f"{kinds.LABELS.get(touch.channel, touch.channel)}: "
                                   f"{touch.name} with {touch.customer.name}"))
    lines = [f"For: {touch.engagement}"] if touch.engagement_id else []
    if touch.customer.phone:
        lines.append(f"Phone: {touch.customer.phone}")
    if touch.customer.defining_moment:
        lines.append(f"Why they chose you: {touch.customer.defining_moment}")
    event.add("description", ical_text("\n".join(lines)))
    if touch.channel == kinds.VISIT and touch.customer.postal_address:
        event.add("location", ical_text(", ".join(touch.customer.postal_address.splitlines())))
    event.add("url", f"{settings.SITE_URL}/customers/{touch.customer.public_id}/")
    event.add("sequence", sequence(touch.updated_at))
    event.add("status", "CANCELLED" if touch.status in (Status.CANCELLED, Status.SKIPPED)
              else "CONFIRMED")
    if touch.stage in v.STAGE_NAMES:
        event.add("categories", [v.STAGE_NAMES[touch.stage]])
    if touch.channel == kinds.CALL and touch.status == Status.PLANNED:
        event.add_component(call_alarm(touch))
    return event


def call_alarm(touch: Touchpoint) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -CALL_REMINDER)
    alarm.add("description", ical_text(f"Call {touch.customer.name} in 15 minutes"))
    return alarm


def promise_event(promise: Promise) -> Event:
    event = Event()
    event.add("uid", f"promise-{promise.public_id}@followthrough")
    event.add("dtstamp", (promise.resolved_at or promise.created_at).astimezone(dt.UTC))
    event.add("dtstart", promise.due_on)  # an all-day event on the promised date
    event.add("dtend", promise.due_on + dt.timedelta(days=1))
    outcome = PROMISE_OUTCOMES.get(promise.status)
    summary = f"Promise to {promise.customer.name}: {promise.what}"
    event.add("summary", ical_text(f"{outcome}: {summary}" if outcome else summary))
    event.add("categories", ["Promise"])
    event.add("url", f"{settings.SITE_URL}/promises/")
    event.add("sequence", sequence(promise.resolved_at or promise.created_at))
    event.add("status", "CONFIRMED")
    return event


def build_feed(preference: Preference, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    business, user = preference.business, preference.user
    calendar = Calendar()
    calendar.add("prodid", "-//Followthrough//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", ical_text(f"{business.name}: follow-up"))
    calendar.add("x-wr-timezone", business.timezone)
    touches = (
        Touchpoint.objects.filter(business=business, channel__in=kinds.PERSONAL,
                                  status__in=SHOWN)
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
        .filter(Q(status=Status.PLANNED)
                | Q(status__in=(Status.CANCELLED, Status.SKIPPED),
                    updated_at__gte=now - CANCELLED_KEPT)
                | Q(status=Status.DONE, due_at__gte=now - PAST_KEPT))
        .select_related("customer", "engagement").order_by("due_at", "id")[:2000]
    )
    for touch in touches:
        calendar.add_component(touch_event(touch))
    promises = Promise.objects.filter(business=business).filter(
        Q(status=Promise.OPEN) | Q(resolved_at__gte=now - CANCELLED_KEPT)
    ).filter(Q(made_by=user) | Q(made_by__isnull=True)).select_related("customer")[:500]
    for promise in promises:
        calendar.add_component(promise_event(promise))
    return calendar.to_ical()


@require_GET
def calendar_feed(request, token):
    """No sign-in: calendar apps can't log in. The 128-bit token is the key; renewing it
    in Settings kills the old one."""
    preference = (Preference.objects.filter(feed_token=token).select_related("business", "user")
                  .first() if token else None)
    if preference is None or not preference.user.is_active or not Membership.objects.filter(
        business=preference.business, user=preference.user
    ).exists():
        raise Http404("No such calendar")
    # Bookkeeping, like a last sign-in: it tells the owner (and the getting-started list)
    # that a calendar app has the link. At most one write an hour per feed.
    now = timezone.now()
    Preference.objects.filter(pk=preference.pk).filter(
        Q(feed_fetched_at__isnull=True) | Q(feed_fetched_at__lt=now - FETCH_NOTED_EVERY)
    ).update(feed_fetched_at=now)
    response = HttpResponse(build_feed(preference, now),
                            content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
