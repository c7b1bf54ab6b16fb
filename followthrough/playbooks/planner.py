"""The planner: from an engagement's lifecycle dates and a playbook's steps to the touchpoints
that should exist. Pure functions: no database, no clock, no I/O, so every rule about time
(DST, quiet hours, business hours, catch-up, frequency cap) is tested without a database.

A plan depends on the *local dates* of the events, never on their time of day: a step asks for
a local time of its own. Callers may rely on that to reuse a plan across engagements.

Each step keeps its intent (docs/agenda.md, "Plans that keep each step's intent"):
- a touch that can no longer land inside its step's window is skipped, never sent days late;
- a step meant for before the work is dropped once the job has started;
- transactional messages neither take nor obey the contact budget;
- the cap moves the less important touch (priorities below), and a touch that ended takes
  no slot, so what it pushed comes back on the next replan;
- a repeat keeps only its next occurrence planned;
- while an incident is open the asks that would be tactless (referral, social, subscribe,
  marketing) are held. The review ask never is: every customer gets the same one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from followthrough import vocabulary as v
from followthrough.channels import kinds

UTC = dt.UTC
PLANNED = "planned"
MISSED = "missed"
SKIPPED = "skipped"  # also a held ask: skipped with INCIDENT_OPEN, back once it is resolved

# Reason codes for what the planner decides; the display text comes with each.
OUTSIDE_WINDOW = "outside_window"
JOB_STARTED = "job_started"
INCIDENT_OPEN = "incident_open"
FREQUENCY_CAP = "frequency_cap"
REASON_TEXT = {
    OUTSIDE_WINDOW: "too late to still make sense",
    JOB_STARTED: "the job had already started",
    INCIDENT_OPEN: "held back while a complaint is open",
}

# How many days after its intended time a step still makes sense; None: no limit beyond the
# catch-up window. Steps before the work have their own rule (the job starting ends them).
WINDOW_DAYS = {
    v.THANK_YOU: 4, v.CHECK_IN: 5, v.PROGRESS_UPDATE: 4, v.ONBOARDING: 7, v.FEEDBACK: 14,
    v.REVIEW: 30, v.TESTIMONIAL: 30, v.SOCIAL_INVITE: 60, v.SUBSCRIBE_INVITE: 60,
    v.REFERRAL: 60, v.MAINTENANCE: 30, v.OTHER: None,
}
# Which touch keeps its day when the cap must move one: higher keeps it. A person's touch
# (call, card, visit) outranks a message of the same element. Recovery calls are 100.
PRIORITY = {
    v.THANK_YOU: 50, v.CHECK_IN: 45, v.ONBOARDING: 40, v.PROGRESS_UPDATE: 40, v.OTHER: 35,
    v.FEEDBACK: 30, v.REVIEW: 25, v.TESTIMONIAL: 20, v.MAINTENANCE: 20,
    v.REFERRAL: 10, v.SOCIAL_INVITE: 10, v.SUBSCRIBE_INVITE: 10,
}
PERSONAL_BONUS = 10
# Asks held back while the customer has an open incident. Never the review ask.
HELD_ELEMENTS = frozenset({v.REFERRAL, v.SOCIAL_INVITE, v.SUBSCRIBE_INVITE})

# Without an until-date a repeat still needs an end, or it would fill the table forever.
REPEAT_HORIZON = dt.timedelta(days=180)
REPEAT_MAX = 52


@dataclass(frozen=True)
class StepSpec:
    key: str  # stable per step; the Step's public_id
    name: str
    anchor: str  # "won" | "started" | "delivered"
    offset_days: int
    offset_hours: int
    local_time: dt.time
    repeat_every_days: int | None
    repeat_until: str  # "" | "started" | "delivered" | "closed"
    channel: str  # channels.kinds
    stage: int
    element: str
    purpose: str
    window_days: int | None = None  # None: the element's default (WINDOW_DAYS)
    priority: int | None = None  # None: the element's default (default_priority)
    # The properties below are worked out once per spec (a frozen spec never changes): the
    # bulk planner asks them of the same few specs for thousands of plans.

    @cached_property
    def window(self) -> dt.timedelta | None:
        days = self.window_days if self.window_days is not None else WINDOW_DAYS.get(
            self.element)
        return None if days is None else dt.timedelta(days=days)

    @cached_property
    def rank(self) -> int:
        return self.priority if self.priority is not None else default_priority(
            self.element, self.channel)

    @cached_property
    def before_the_work(self) -> bool:
        """A step meant for before the job starts ("Before we start"): stage 1 or 2,
        counted from the win. A thank-you and a transactional message are not."""
        return (self.anchor == v.WON and self.stage in (1, 2)
                and self.element != v.THANK_YOU and self.purpose != v.TRANSACTIONAL)

    @cached_property
    def held_by_incident(self) -> bool:
        return self.element in HELD_ELEMENTS or self.purpose == v.MARKETING


def default_priority(element: str, channel: str) -> int:
    bonus = 0 if kinds.is_automated(channel) else PERSONAL_BONUS
    return PRIORITY.get(element, PRIORITY[v.OTHER]) + bonus


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    business_days: frozenset[int]  # ISO weekdays, 1 = Monday
    business_hours: tuple[dt.time, dt.time]  # personal touches land inside these
    quiet_hours: tuple[dt.time, dt.time]  # automated messages never inside these (may wrap)
    catch_up: dt.timedelta  # later than this past due → "missed"
    frequency_cap: dt.timedelta  # at most one automated message per customer per window
    # The contact-pressure budget. Off unless set, so the plain rules above stand alone.
    cap_includes_personal: bool = False  # personal touches take (and obey) the cap too
    call_window: tuple[dt.time, dt.time] | None = None  # calls and texts, customer's time
    customer_zone: ZoneInfo | None = None  # None: the customer lives in the business zone

    @property
    def contact_zone(self) -> ZoneInfo:
        return self.customer_zone or self.zone

    def counts_toward_cap(self, channel: str, purpose: str = "") -> bool:
        """Whether a touch takes (and obeys) the contact budget. Transactional messages
        (order received, confirmations, receipts) never do."""
        if purpose == v.TRANSACTIONAL:
            return False
        return kinds.is_automated(channel) or self.cap_includes_personal


@dataclass(frozen=True)
class PlannedTouchpoint:
    step_key: str
    occurrence: int  # 0 for one-off steps; 0, 1, 2 … for repeats
    due_at: dt.datetime  # aware, UTC
    local_date: dt.date  # the business-local intent
    local_time: dt.time
    status: str  # "planned" | "missed" | "skipped"
    moved_reason: str  # "" or why due_at differs from the intent, or why it won't happen
    reason_code: str = ""  # the code of the decisive reason (REASON_TEXT), "" for none


@dataclass
class _Draft:
    order: int
    step: StepSpec
    occurrence: int
    intent: dt.datetime  # naive, business-local
    due_at: dt.datetime
    reasons: list[str]
    status: str = PLANNED  # SKIPPED once decided, with `code`
    code: str = ""
    deadline: dt.datetime | None = None  # UTC; past it the step no longer makes sense


# (step key, occurrence) → when it took a contact slot (sent or done), or None when it
# ended without one (skipped, cancelled, missed, failed).
History = Mapping[tuple[str, int], dt.datetime | None]


def plan(
    events: dict[str, dt.datetime | None],
    steps: Sequence[StepSpec],
    calendar: BusinessCalendar,
    now: dt.datetime,
    busy: Sequence[dt.datetime] = (),
    *,
    incident_open: bool = False,
    history: History | None = None,
) -> list[PlannedTouchpoint]:
    """Every touchpoint the steps still ask for, in order of due time (then step order).

    Occurrences in `history` have already ended: they are left out, and take a cap slot
    only if they happened. `incident_open` holds back the tactless asks."""
    history = history or {}
    dates = {name: local_date(at, calendar.zone) for name, at in events.items() if at}
    drafts = []
    for order, step in enumerate(steps):
        made = [_draft(order, step, occurrence, intent, calendar)
                for occurrence, intent in enumerate(intents(step, dates))
                if (step.key, occurrence) not in history]
        if step.repeat_every_days:
            made = _next_only(made, calendar, now)
        drafts.extend(made)
    _decide_intent(drafts, dates, incident_open)
    drafts.sort(key=_sort_key)
    slots = [at for at in history.values() if at is not None]
    _apply_frequency_cap(drafts, calendar, now, [*busy, *slots])
    drafts.sort(key=_sort_key)
    return [_finish(d, calendar, now) for d in drafts]


def events_read(steps: Sequence[StepSpec]) -> frozenset[str]:
    """The events whose local dates a plan of these steps reads; it reads no other, so two
    engagements that agree on these get the same plan: the anchors, the ends of repeats,
    and the start when a step is meant for before the work (_decide_intent)."""
    read = {s.anchor for s in steps}
    read.update(s.repeat_until for s in steps if s.repeat_every_days and s.repeat_until)
    if any(s.before_the_work for s in steps):
        read.add(v.STARTED)
    return frozenset(read)


def _next_only(drafts: list[_Draft], calendar: BusinessCalendar,
               now: dt.datetime) -> list[_Draft]:
    """A repeat keeps one occurrence planned: the first that is not already past. The next
    one is made when that one ends (the replan after it is sent, done or skipped)."""
    return next(([d] for d in drafts if not _is_missed(d.due_at, calendar, now)), [])


def _decide_intent(drafts: list[_Draft], dates: dict[str, dt.date],
                   incident_open: bool) -> None:
    """Steps that no longer fit the job (it started) or the moment (an open incident)."""
    started = dates.get(v.STARTED)
    for draft in drafts:
        if (draft.step.before_the_work and started is not None
                and draft.intent.date() >= started):
            draft.status, draft.code = SKIPPED, JOB_STARTED
        elif incident_open and draft.step.held_by_incident:
            draft.status, draft.code = SKIPPED, INCIDENT_OPEN


def local_date(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    return at.astimezone(zone).date()


def intents(step: StepSpec, dates: dict[str, dt.date]) -> list[dt.datetime]:
    """The naive business-local datetimes a step asks for: one, or one per repeat."""
    anchor = dates.get(step.anchor)
    if anchor is None:
        return []
    first = dt.datetime.combine(anchor + dt.timedelta(days=step.offset_days), step.local_time)
    # Offset hours move the wall-clock time after the step's local time is applied.
    first += dt.timedelta(hours=step.offset_hours)
    if not step.repeat_every_days:
        return [first]
    until = dates.get(step.repeat_until) if step.repeat_until else None
    every = dt.timedelta(days=step.repeat_every_days)
    horizon = first + REPEAT_HORIZON
    found = []
    at = first
    while len(found) < REPEAT_MAX:
        if (until is not None and at.date() >= until) or (until is None and at > horizon):
            break
        found.append(at)
        at += every
    return found


def to_utc(local: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, str]:
    """A naive local time as an aware UTC time, with a reason when it had to move.

    Ambiguous times (clocks go back) take the first occurrence, fold=0. Times that don't exist
    (clocks go forward) move to the first valid instant, the moment the clocks jump.
    """
    aware = local.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == local:
        return utc, ""
    jump = _gap_end(local, zone)
    shown = jump.astimezone(zone)
    reason = f"{local:%H:%M} does not exist that day (clocks go forward); moved to {shown:%H:%M}"
    return jump, reason


def _gap_end(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    # fold=1 reads the wall time with the offset after the jump, fold=0 with the one before,
    # so the transition instant lies between them; bisect in whole seconds (zone transitions
    # always fall on one).
    a = int(local.replace(tzinfo=zone, fold=1).timestamp())
    b = int(local.replace(tzinfo=zone, fold=0).timestamp())
    lo, hi = min(a, b), max(a, b)
    after = _offset_at(hi, zone)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(mid, zone) == after:
            hi = mid
        else:
            lo = mid
    return dt.datetime.fromtimestamp(hi, UTC)


def _offset_at(timestamp: int, zone: ZoneInfo) -> dt.timedelta | None:
    return dt.datetime.fromtimestamp(timestamp, zone).utcoffset()


def _draft(order: int, step: StepSpec, occurrence: int, intent: dt.datetime,
           calendar: BusinessCalendar) -> _Draft:
    intended, due, reasons = _placed(intent, step.channel, calendar)
    window = step.window
    deadline = None if window is None else intended + window
    return _Draft(order, step, occurrence, intent, due, list(reasons), deadline=deadline)


@lru_cache(maxsize=16384)
def _placed(intent: dt.datetime, channel: str,
            calendar: BusinessCalendar) -> tuple[dt.datetime, dt.datetime, tuple[str, ...]]:
    """A local intent in UTC, then settled for the channel, with the reasons for any move.
    A pure function of its arguments; the bulk planner asks it for the same few hundred
    dates a playbook's steps land on again and again, so the answers are kept."""
    intended, reason = to_utc(intent, calendar.zone)
    due, moved = settle(intended, channel, calendar)
    return intended, due, (reason, *moved) if reason else tuple(moved)


# Channels that ring or buzz in the customer's pocket: only inside the call window.
WINDOWED = frozenset({kinds.CALL, kinds.SMS})
SETTLE_ROUNDS = 8


def settle(due: dt.datetime, channel: str,
           calendar: BusinessCalendar) -> tuple[dt.datetime, list[str]]:
    """The first instant at or after `due` that every rule for the channel allows.

    Each rule only moves later and repeats daily, so a few rounds find a time that suits
    them all. When none exists (business hours and the customer's call window never
    overlap) the call window wins: the customer's night matters more than our office hours.
    """
    rules = [outside_quiet_hours if kinds.is_automated(channel) else within_business_hours]
    if calendar.call_window and channel in WINDOWED:
        rules.append(within_call_window)
    start = due
    reasons: dict[int, str] = {}  # the last move each rule made, in rule order
    for _ in range(SETTLE_ROUNDS):
        before = due
        for number, rule in enumerate(rules):
            due, reason = rule(due, calendar)
            if reason:
                reasons[number] = reason
        if due == before:
            return due, [reasons[n] for n in sorted(reasons)]
    due, reason = within_call_window(start, calendar)
    return due, [reason or "customer's call hours",
                 "no time suits both business hours and the customer's call hours"]


def within_call_window(due: dt.datetime,
                       calendar: BusinessCalendar) -> tuple[dt.datetime, str]:
    """The first instant at or after `due` inside the call window, in the customer's zone."""
    if not calendar.call_window:
        return due, ""
    zone = calendar.contact_zone
    start, end = calendar.call_window
    local = due.astimezone(zone)
    if start <= local.time() < end:
        return due, ""
    day = local.date() + dt.timedelta(days=1 if local.time() >= end else 0)
    moved, _ = to_utc(dt.datetime.combine(day, start), zone)
    return moved, f"customer's call hours; moved to {start:%H:%M} their time"


def _sort_key(draft: _Draft) -> tuple:
    return (draft.due_at, draft.order, draft.occurrence)


def in_quiet_hours(local: dt.time, quiet: tuple[dt.time, dt.time]) -> bool:
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # wraps past midnight


def outside_quiet_hours(due: dt.datetime, calendar: BusinessCalendar) -> tuple[dt.datetime, str]:
    """The first instant at or after `due` outside quiet hours."""
    local = due.astimezone(calendar.zone)
    start, end = calendar.quiet_hours
    if not in_quiet_hours(local.time(), calendar.quiet_hours):
        return due, ""
    day = local.date()
    if start > end and local.time() >= start:
        day += dt.timedelta(days=1)
    moved, _ = to_utc(dt.datetime.combine(day, end), calendar.zone)
    return moved, f"quiet hours; moved to {end:%H:%M}"


def within_business_hours(due: dt.datetime, calendar: BusinessCalendar) -> tuple[dt.datetime, str]:
    """The first instant at or after `due` inside business hours on a business day.

    On a day off the touch keeps its time of day on the next business day when that time is
    within hours, so the owner's intent ("late morning") survives the move.
    """
    local = due.astimezone(calendar.zone)
    opens, closes = calendar.business_hours
    day, time = local.date(), local.time()
    within = opens <= time < closes
    if day.isoweekday() in calendar.business_days:
        if within:
            return due, ""
        reason = "outside business hours"
        if time >= closes:
            day = _next_business_day(day + dt.timedelta(days=1), calendar)
    else:
        reason = "not a business day"
        day = _next_business_day(day, calendar)
    when = time if within else opens
    moved, _ = to_utc(dt.datetime.combine(day, when), calendar.zone)
    return moved, f"{reason}; moved to {day:%a} {when:%H:%M}"


def _next_business_day(day: dt.date, calendar: BusinessCalendar) -> dt.date:
    for _ in range(7):
        if day.isoweekday() in calendar.business_days:
            return day
        day += dt.timedelta(days=1)
    return day  # no business days at all: leave the day as it is


def _is_missed(due: dt.datetime, calendar: BusinessCalendar, now: dt.datetime) -> bool:
    return due < now - calendar.catch_up


def _apply_frequency_cap(drafts: list[_Draft], calendar: BusinessCalendar, now: dt.datetime,
                         busy: Sequence[dt.datetime]) -> None:
    """Move messages that come too close to another one: automated ones, and personal
    touches too when the business counts them in the same budget. The more important touch
    keeps its day; a moved one that would land outside its window is skipped, with the
    reason, rather than dropped in silence or sent days late."""
    window = calendar.frequency_cap
    if window <= dt.timedelta(0):
        return
    taken = sorted(b.astimezone(UTC) for b in busy)
    for draft in sorted(drafts, key=_rank_key):
        if draft.status != PLANNED:
            continue  # skipped or held: never sent, so it takes nobody's slot
        if not calendar.counts_toward_cap(draft.step.channel, draft.step.purpose):
            continue
        if _is_missed(draft.due_at, calendar, now):
            continue  # it will never be sent, so it takes nobody's slot
        due = first_free(draft.due_at, draft.step.channel, taken, calendar)
        if due != draft.due_at:
            draft.due_at = due
            draft.reasons.append(f"frequency cap: one contact per {_days(window)}")
            draft.code = FREQUENCY_CAP
        if _too_late(draft, now):
            continue
        taken.append(due)
        taken.sort()


def _rank_key(draft: _Draft) -> tuple:
    return (-draft.step.rank, *_sort_key(draft))


def _too_late(draft: _Draft, now: dt.datetime) -> bool:
    """Whether the touch would land past its window (it goes at its time, or now if that is
    later)."""
    return draft.deadline is not None and max(draft.due_at, now) > draft.deadline


def first_free(due: dt.datetime, channel: str, taken: Sequence[dt.datetime],
               calendar: BusinessCalendar) -> dt.datetime:
    """The first allowed time at or after `due` at least one cap window from every taken one."""
    window = calendar.frequency_cap
    if window <= dt.timedelta(0):
        return due
    # Each pass only moves later, so the loop ends once past the last taken time.
    while True:
        clash = next((t for t in taken if abs(due - t) < window), None)
        if clash is None:
            return due
        due, _ = settle(clash + window, channel, calendar)


def next_allowed(due: dt.datetime, channel: str, calendar: BusinessCalendar,
                 busy: Sequence[dt.datetime] = ()) -> dt.datetime:
    """When a one-off touch (not from a playbook) may go: the channel's hours, then the cap
    against the customer's other contacts (`busy`, already filtered for what counts)."""
    due, _ = settle(due, channel, calendar)
    return first_free(due, channel, sorted(b.astimezone(UTC) for b in busy), calendar)


def _days(window: dt.timedelta) -> str:
    if window % dt.timedelta(days=1):
        return f"{window.total_seconds() / 3600:g} hours"
    days = window.days
    return "day" if days == 1 else f"{days} days"


def _finish(draft: _Draft, calendar: BusinessCalendar, now: dt.datetime) -> PlannedTouchpoint:
    status, code, reason = draft.status, draft.code, "; ".join(draft.reasons)
    if status == PLANNED and _is_missed(draft.due_at, calendar, now):
        status = MISSED
    elif status == PLANNED and _too_late(draft, now):
        status, code = SKIPPED, OUTSIDE_WINDOW
    if status == SKIPPED:
        reason = REASON_TEXT[code]
    return PlannedTouchpoint(
        step_key=draft.step.key,
        occurrence=draft.occurrence,
        due_at=draft.due_at,
        local_date=draft.intent.date(),
        local_time=draft.intent.time(),
        status=status,
        moved_reason=reason[:200],
        reason_code=code,
    )
