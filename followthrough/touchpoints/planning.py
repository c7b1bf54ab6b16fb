"""Planning writes the schedule: it runs the pure planner and syncs Touchpoint rows with it.

Rows that are not planned are history (sent, done, skipped, missed, failed, cancelled) and
are never changed, and a plan entry whose key already has such a row is ignored, so replanning
can never re-send. Updates are conditional on the row still being planned, because the
worker may claim a row (planned → sending) between our read and our write.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice, repeat
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.utils import timezone

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import (
    REACH_FIELDS,
    do_not_contact,
    may_contact_many,
    refusals_of,
)
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.playbooks.planner import (
    BusinessCalendar,
    PlannedTouchpoint,
    StepSpec,
    events_read,
    plan,
)
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_ids
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint

logger = logging.getLogger(__name__)

# Touchpoints that hold a customer's slot for the frequency cap. A personal touch done is a
# contact made, so it holds its slot too when the business counts personal touches.
# A draft waiting for approval will go out too, so it holds its slot like a planned row.
CAP_STATUSES = (Status.PLANNED, Status.DRAFT, Status.SENDING, Status.SENT)
PERSONAL_CAP_STATUSES = (Status.PLANNED, Status.DRAFT, Status.DONE)
PLAN_EVENTS = (v.WON, v.STARTED, v.DELIVERED, v.CLOSED)
STEP_FIELDS = ("name", "channel", "stage", "element", "purpose")
TIME_FIELDS = ("due_at", "local_date", "local_time", "moved_reason", "status")
# Rows replanning may move: planned ones, and drafts waiting for approval.
MOVABLE = (Status.PLANNED, Status.DRAFT)
# The words shown for a snoozed row (its code, Reason.SNOOZED, is what replanning reads).
SNOOZED = "snoozed"


def step_spec(step: Step) -> StepSpec:
    return StepSpec(
        key=step.public_id, name=step.name, anchor=step.anchor,
        offset_days=step.offset_days, offset_hours=step.offset_hours,
        local_time=step.local_time, repeat_every_days=step.repeat_every_days,
        repeat_until=step.repeat_until, channel=step.channel, stage=step.stage,
        element=step.element, purpose=step.purpose, window_days=step.window_days,
        priority=step.priority,
    )


def step_specs(playbook: Playbook) -> list[StepSpec]:
    return [step_spec(s) for s in playbook.steps.all()]


def business_calendar(business: Business, customer_timezone: str = "") -> BusinessCalendar:
    """The business's rules; with the customer's zone name (blank: the business's zone) the
    call window is read in the customer's local time."""
    return BusinessCalendar(
        zone=business.zone,
        business_days=frozenset(int(d) for d in business.business_days),
        business_hours=(business.business_hours_start, business.business_hours_end),
        quiet_hours=(business.quiet_hours_start, business.quiet_hours_end),
        catch_up=dt.timedelta(days=business.catch_up_days),
        frequency_cap=dt.timedelta(days=business.frequency_cap_days),
        cap_includes_personal=business.cap_includes_personal,
        call_window=(business.call_window_start, business.call_window_end),
        customer_zone=ZoneInfo(customer_timezone) if customer_timezone else None,
    )


def customer_calendar(business: Business, customer: Customer) -> BusinessCalendar:
    return business_calendar(business, customer.timezone)


def cap_busy(business: Business, customer_id: int):
    """The customer's touchpoints that hold a slot in the frequency cap. Transactional
    messages (order received, receipts) never do."""
    counted = Q(channel__in=kinds.AUTOMATED, status__in=CAP_STATUSES)
    if business.cap_includes_personal:
        counted |= Q(channel__in=kinds.PERSONAL, status__in=PERSONAL_CAP_STATUSES)
    return Touchpoint.objects.filter(counted, customer_id=customer_id).exclude(
        purpose=v.TRANSACTIONAL)


def idempotency_key(engagement_public_id: str, step_key: str, occurrence: int) -> str:
    return f"{engagement_public_id}:{step_key}:{occurrence}"


# The words shown when the planner cancelled a row (code Reason.DROPPED_FROM_PLAN); only
# rows cancelled for this reason may come back.
DROPPED_FROM_PLAN = Reason.LABELS[Reason.DROPPED_FROM_PLAN]
# The words shown when the planner skipped a row (code Reason.NO_CONSENT): consent is
# enforced when planning and again when sending. Such a row comes back on a replan once
# the customer may be contacted again.
NO_CONSENT = Reason.LABELS[Reason.NO_CONSENT]
# Skips the planner itself decided: replanning may bring such a row back (consent given
# again, the incident resolved, a start date cleared, a touch that pushed it skipped).
PLANNER_SKIPS = frozenset({Reason.NO_CONSENT, Reason.OUTSIDE_WINDOW, Reason.JOB_STARTED,
                           Reason.INCIDENT_OPEN})
# Statuses whose row took its contact slot when it happened (or is happening).
HAPPENED = frozenset({Status.SENT, Status.SENDING, Status.DONE})


def plan_engagement(engagement: Engagement, now: dt.datetime | None = None) -> list[Touchpoint]:
    """Sync the engagement's touchpoints with its plan; returns all of them, by due time."""
    now = now or timezone.now()
    with transaction.atomic():
        # Serialise replans of one engagement (PostgreSQL; SQLite writers queue anyway).
        list(Engagement.objects.select_for_update().filter(pk=engagement.pk).values("pk"))
        steps = _steps_to_plan(engagement)
        # Only the playbook's own rows: reminders, visits, recovery calls, follow-ups, news
        # and referral thank-yous hang off the same engagement but no step made them.
        existing = {t.idempotency_key: t
                    for t in engagement.touchpoints.filter(origin=Origin.PLAYBOOK_STEP)}
        planned = _plan_for(engagement, steps, now, existing.values())
        _sync(engagement, planned, {s.public_id: s for s in steps}, existing)
    return list(engagement.touchpoints.order_by("due_at", "id"))


def plan_summary(engagement: Engagement) -> str:
    """What a new plan holds, honestly: what is still to come, and what a back-dated job
    has already missed or no longer needs ("2 touches planned; 5 already missed; 1
    skipped, see why on the plan")."""
    counts: dict[str, int] = {}
    for status in engagement.touchpoints.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    planned = counts.get(Status.PLANNED, 0) + counts.get(Status.DRAFT, 0)
    parts = [f"{planned} touch{'es' if planned != 1 else ''} planned"]
    if counts.get(Status.MISSED):
        parts.append(f"{counts[Status.MISSED]} already missed")
    if counts.get(Status.SKIPPED):
        parts.append(f"{counts[Status.SKIPPED]} skipped, see why on the plan")
    return "; ".join(parts) + "."


def _steps_to_plan(engagement: Engagement) -> list[Step]:
    if engagement.cancelled_at or not engagement.playbook_id:
        return []
    return list(Step.objects.filter(playbook_id=engagement.playbook_id))


def _plan_for(engagement: Engagement, steps: list[Step], now: dt.datetime,
              rows: Iterable[Touchpoint]) -> list[PlannedTouchpoint]:
    if not steps:
        return []
    business = engagement.business
    busy = (
        cap_busy(business, engagement.customer_id)
        # This engagement's playbook rows are what we are planning; its one-off rows count.
        .exclude(engagement_id=engagement.pk, origin=Origin.PLAYBOOK_STEP)
        .values_list("due_at", flat=True)
    )
    calendar = customer_calendar(business, engagement.customer)
    return plan(
        engagement.event_dates(), [step_spec(s) for s in steps], calendar, now,
        busy=list(busy), history=_history(rows, steps, calendar),
        # Set by the feedback app while an incident is open (touchpoints never imports it).
        incident_open=engagement.customer.marketing_hold,
    )


def _history(rows: Iterable[Touchpoint], steps: list[Step],
             calendar: BusinessCalendar) -> dict[tuple[str, int], dt.datetime | None]:
    """The occurrences that ended (or are being sent): the planner leaves them be, and a
    touch that happened keeps its contact slot. A touch that was skipped takes none, so
    whatever it pushed comes back."""
    by_pk = {s.pk: s for s in steps}
    ended = {}
    for row in rows:
        step = by_pk.get(row.step_id)
        if step is None or row.status in MOVABLE or _planner_owned(row, step):
            continue
        slot = None
        if row.status in HAPPENED and calendar.counts_toward_cap(row.channel, row.purpose):
            done_late = row.status == Status.DONE and row.completed_at
            slot = row.completed_at if done_late else row.due_at
        ended[(step.public_id, row.occurrence)] = slot
    return ended


def _planner_owned(row: Touchpoint, step: Step) -> bool:
    """A row the planner ended itself, which it may bring back. A repeat's occurrence that
    came too late stays ended, so the repeat moves on to its next one."""
    if row.status == Status.CANCELLED:
        return row.reason_code == Reason.DROPPED_FROM_PLAN
    if row.status != Status.SKIPPED or row.reason_code not in PLANNER_SKIPS:
        return False
    return not (step.repeat_every_days and row.reason_code == Reason.OUTSIDE_WINDOW)


def _sync(engagement: Engagement, planned: list[PlannedTouchpoint],
          steps: dict[str, Step], existing: dict[str, Touchpoint]) -> None:
    wanted = set()
    new = []
    allowed = _consented(engagement, steps)
    for item in planned:
        key = idempotency_key(engagement.public_id, item.step_key, item.occurrence)
        wanted.add(key)
        row = existing.get(key)
        step = steps[item.step_key]
        code = lifecycle.planner_reason(item)
        if item.status == Status.PLANNED and step.pk not in allowed:
            item = replace(item, status=Status.SKIPPED, moved_reason=NO_CONSENT)
            code = Reason.NO_CONSENT
        timing = _time_values(item, step, code)
        if row is None:
            new.append(_new_touchpoint(engagement, step, item, key, timing))
        elif row.status in MOVABLE:
            _move(row, step, timing)
        elif row.status == Status.CANCELLED and row.reason_code == Reason.DROPPED_FROM_PLAN:
            _revive(row, step, timing)
        elif row.status == Status.SKIPPED and _planner_owned(row, step):
            _revive(row, step, timing, Status.SKIPPED, row.reason_code)
    lifecycle.bulk_create(new)
    gone = [t.pk for key, t in existing.items() if key not in wanted and t.status in MOVABLE]
    if gone:
        lifecycle.transition(
            Touchpoint.objects.filter(pk__in=gone, origin=Origin.PLAYBOOK_STEP),
            Status.CANCELLED, from_=MOVABLE, reason_code=Reason.DROPPED_FROM_PLAN,
            moved_reason=DROPPED_FROM_PLAN,
        )


def _new_touchpoint(engagement: Engagement, step: Step, item: PlannedTouchpoint,
                    key: str, timing: dict) -> Touchpoint:
    return lifecycle.build(
        origin=Origin.PLAYBOOK_STEP, business_id=engagement.business_id,
        engagement=engagement, customer_id=engagement.customer_id, step=step,
        occurrence=item.occurrence, idempotency_key=key, **_step_values(step), **timing,
    )


def _move(row: Touchpoint, step: Step, timing: dict) -> None:
    changes = _step_values(step)
    if row.reason_code not in Reason.KEEP_TIME:
        changes.update(timing)
    if row.status == Status.DRAFT and changes.get("status") == Status.PLANNED:
        changes["status"] = Status.DRAFT  # still waiting for a person's approval
    if all(getattr(row, name) == value for name, value in changes.items()):
        return
    # Conditional: if the worker claimed it meanwhile, it is no longer ours to move.
    lifecycle.transition(row, changes.pop("status", row.status), **changes)


def _revive(row: Touchpoint, step: Step, timing: dict,
            status: str = Status.CANCELLED, reason: str = Reason.DROPPED_FROM_PLAN) -> None:
    """A row the planner itself cancelled or skipped comes back when the plan wants it again
    (a date set by mistake and cleared, consent given again). Rows a person ended stay so."""
    values = {**_step_values(step), **timing}
    lifecycle.transition(
        Touchpoint.objects.filter(pk=row.pk, reason_code=reason), values.pop("status"),
        from_=status, **values,
    )


def _consented(engagement: Engagement, steps: dict[str, Step]) -> set[int]:
    """Ids of the steps this customer may get now. Personal touches are screened only by
    the do-not-contact list: otherwise a person decides on the call or the card."""
    customer_id = engagement.customer_id
    if do_not_contact(engagement.customer):
        return set()  # erased or asked to stop everything: not even a card or a call
    asks = {(customer_id, s.channel, s.purpose) for s in steps.values()
            if kinds.is_automated(s.channel)}
    yes = may_contact_many(asks) if asks else set()
    return {s.pk for s in steps.values()
            if not kinds.is_automated(s.channel) or (customer_id, s.channel, s.purpose) in yes}


def _step_values(step: Step) -> dict:
    return {name: getattr(step, name) for name in STEP_FIELDS}


def _time_values(item: PlannedTouchpoint, step: Step | None = None,
                 code: str = Reason.NONE) -> dict:
    values = {name: getattr(item, name) for name in TIME_FIELDS}
    values["reason_code"] = code
    if step is not None and step.requires_approval and values["status"] == Status.PLANNED:
        values["status"] = Status.DRAFT  # "approve before send": waits on Today
    return values


# The bulk path: many new engagements at once (benchmark, CSV import).

BULK_ENGAGEMENTS = 2000
# Columns that differ on every row: the two tokens, the key, and whose row it is.
ROW_COLUMNS = ("public_id", "link_token", "idempotency_key", "customer_id", "engagement_id")
# Columns every engagement planned on the same dates shares, made once per cached plan;
# every other column of the table follows them with its model default, adapted once per run.
PART_COLUMNS = (
    "occurrence", "name", "channel", "stage", "element", "purpose", "status", "due_at",
    "local_date", "local_time", "moved_reason", "reason_code", "step_id", "business_id",
    "origin", "created_at", "updated_at",
)
BULK_COLUMNS = (*ROW_COLUMNS, *PART_COLUMNS)
STATUS_AT = PART_COLUMNS.index("status")
REASON_AT = PART_COLUMNS.index("moved_reason")
# What the bulk path reads of an engagement, in the order of the tuples it plans from.
JOB_FIELDS = ("pk", "public_id", "customer_id", "playbook_id",
              *(f"{name}_at" for name in PLAN_EVENTS))


def _default_columns() -> tuple[list[str], tuple]:
    """The remaining concrete columns and their adapted defaults."""
    columns, values = [], []
    for field in Touchpoint._meta.concrete_fields:
        if field.primary_key or field.column in BULK_COLUMNS:
            continue
        if field.unique:
            raise RuntimeError(f"Touchpoint.{field.name} is unique: compute it per row.")
        default = field.get_default()
        if default is None and not field.null:
            raise RuntimeError(f"Touchpoint.{field.name} needs a value in the bulk path.")
        columns.append(field.column)
        values.append(field.get_db_prep_save(default, connection))
    return columns, tuple(values)


class _PlaybookPlan:
    """What the bulk path needs of one playbook, loaded once."""

    def __init__(self, playbook: Playbook, fixed: tuple):
        steps = list(playbook.steps.all())
        self.business = playbook.business
        self.calendar = business_calendar(playbook.business)
        self.specs = [step_spec(s) for s in steps]
        self.step_ids = {s.public_id: s.pk for s in steps}
        self.approval = {s.public_id for s in steps if s.requires_approval}
        # Where the events a plan of these steps reads sit in a job tuple: a plan is the
        # same for every engagement whose dates agree on those, whatever the others.
        read = events_read(self.specs)
        self.reads = tuple(4 + n for n, name in enumerate(PLAN_EVENTS) if name in read)
        # The end of every row: the business, the origin, the stamps and the defaults.
        self.fixed = (playbook.business_id, *fixed)
        # What the consent ledger is asked for each customer: automated steps only (a
        # person decides on a call or a card).
        self.asks = [(s.pk, s.channel, s.purpose) for s in steps
                     if kinds.is_automated(s.channel)]
        self.plans: dict[tuple, _CachedPlan] = {}
        self.calendars: dict[str, BusinessCalendar] = {"": self.calendar}
        # Database values of the due times and local dates and times, adapted once each:
        # the plans of a playbook share most of them.
        self.adapted: dict = {}

    def adapt(self, value) -> object:
        found = self.adapted.get(value, self)
        if found is self:
            found = self.adapted[value] = _ADAPT[type(value)](connection.ops, value)
        return found

    def calendar_for(self, customer_timezone: str) -> BusinessCalendar:
        found = self.calendars.get(customer_timezone)
        if found is None:
            found = self.calendars[customer_timezone] = business_calendar(
                self.business, customer_timezone)
        return found


# The adapter of each value type a plan holds (a datetime is also a date: keyed by type).
_ADAPT = {
    dt.datetime: lambda ops, value: ops.adapt_datetimefield_value(value),
    dt.date: lambda ops, value: ops.adapt_datefield_value(value),
    dt.time: lambda ops, value: ops.adapt_timefield_value(value),
}


class _CachedPlan:
    """One plan with its database values adapted once; shared by every engagement whose
    events fall on the same local dates (a plan depends only on those dates, the customer's
    zone and whether an incident is open). The per-row decisions of plan_engagement are
    made here once: approval turns a planned row into a draft."""

    __slots__ = ("suffixes", "tails", "counted", "screens")

    def __init__(self, book: _PlaybookPlan, planned: list[PlannedTouchpoint],
                 calendar: BusinessCalendar):
        specs = {s.key: s for s in book.specs}
        suffixes, tails = [], []
        screens = []  # per part: (step id, holds a cap slot, due time) of open rows
        for item in planned:
            spec = specs[item.step_key]
            status = item.status
            if status == Status.PLANNED and item.step_key in book.approval:
                status = Status.DRAFT  # "approve before send": waits on Today
            step_id = book.step_ids[item.step_key]
            suffixes.append(f":{item.step_key}:{item.occurrence}")
            tails.append((
                item.occurrence, spec.name, spec.channel, spec.stage, spec.element,
                spec.purpose, status, book.adapt(item.due_at), book.adapt(item.local_date),
                book.adapt(item.local_time), item.moved_reason,
                lifecycle.planner_reason(item), step_id, *book.fixed,
            ))
            if item.status == Status.PLANNED:
                counts = calendar.counts_toward_cap(spec.channel, spec.purpose)
                screens.append((step_id, counts, item.due_at))
            else:
                screens.append(None)
        self.suffixes = tuple(suffixes)
        self.tails = tuple(tails)
        self.screens = tuple(screens)
        self.counted = tuple(s[2] for s in screens if s and s[1])

    def refused(self, step_ids: set[int] | None) -> tuple[list[tuple], tuple]:
        """The tails and capped times once the steps the customer may not get (None: all
        of them) are skipped for want of consent, as plan_engagement does."""
        tails, counted = [], []
        for tail, screen in zip(self.tails, self.screens, strict=True):
            if screen is not None and (step_ids is None or screen[0] in step_ids):
                tail = (*tail[:STATUS_AT], Status.SKIPPED, *tail[STATUS_AT + 1:REASON_AT],
                        NO_CONSENT, Reason.NO_CONSENT, *tail[REASON_AT + 2:])
            elif screen is not None and screen[1]:
                counted.append(screen[2])
            tails.append(tail)
        return tails, tuple(counted)


def plan_new_engagements(engagements: QuerySet | Iterable[Engagement],
                         now: dt.datetime | None = None) -> int:
    """Plan many engagements that have no touchpoints yet; returns the rows written.

    One transaction, large multi-row batches, and no model instances at all: a queryset is
    read as plain values, plans are cached per playbook and local event dates. Keys that
    already exist are skipped, so a rerun never duplicates. For replanning existing
    engagements use plan_engagement.
    """
    now = now or timezone.now()
    books: dict[int, _PlaybookPlan] = {}
    taken: dict[int, tuple] = {}  # customer id → capped due times planned in this run
    written = 0
    extra_columns, defaults = _default_columns()
    columns = [*BULK_COLUMNS, *extra_columns]
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    # Every row the bulk path writes is a playbook step's: a constant, not per-row work.
    fixed = (Origin.PLAYBOOK_STEP, stamp, stamp, *defaults)
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(_jobs(engagements), BULK_ENGAGEMENTS):
            for job in chunk:
                _book(job[3], books, fixed)
            # Everything the per-row decisions read, in a few queries per chunk.
            customers = _customers_for(chunk, books)
            known = (_busy_for(chunk), customers[0], customers[1])
            rows = _rows(chunk, books, known, taken, now)
            if rows:
                written += _insert_rows(cursor, columns, rows)
    return written


def _jobs(engagements: QuerySet | Iterable[Engagement]) -> Iterator[tuple]:
    """The JOB_FIELDS of each engagement to plan (not cancelled, with a playbook); a
    queryset is read as values, never as model instances."""
    if isinstance(engagements, QuerySet):
        yield from (engagements.filter(cancelled_at__isnull=True, playbook__isnull=False)
                    .values_list(*JOB_FIELDS).iterator(chunk_size=BULK_ENGAGEMENTS))
        return
    for e in engagements:
        if not e.cancelled_at and e.playbook_id:
            yield (e.pk, e.public_id, e.customer_id, e.playbook_id,
                   *(getattr(e, f"{name}_at") for name in PLAN_EVENTS))


def _insert_rows(cursor, columns: list[str], rows: list[tuple]) -> int:
    """Insert the rows, skipping idempotency keys that already exist (a rerun is harmless);
    returns how many were written."""
    if connection.vendor == "postgresql":
        return _copy_rows(cursor, columns, rows)
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(_insert_sql(columns, f"VALUES ({marks})"), rows)
    return max(cursor.rowcount, 0)


def _copy_rows(cursor, columns: list[str], rows: list[tuple]) -> int:
    """PostgreSQL: COPY straight into the table, as new engagements have no rows yet. COPY
    cannot skip a key that exists (a rerun, or another planner got there first): it stops
    at it, and then the chunk goes again through a staging table and one INSERT that skips
    them."""
    from psycopg.errors import UniqueViolation

    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(Touchpoint._meta.db_table)
    try:
        with transaction.atomic():  # a savepoint: a failed COPY leaves nothing behind
            _copy(cursor, f"COPY {table} ({names}) FROM STDIN", rows)
        return len(rows)
    except UniqueViolation:
        pass
    # Every name comes from the model, never from input; the values travel through COPY.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS planning_staging ON COMMIT DROP "  # noqa: S608
                   f"AS SELECT {names} FROM {table} WITH NO DATA")
    _copy(cursor, f"COPY planning_staging ({names}) FROM STDIN", rows)
    cursor.execute(_insert_sql(columns, f"SELECT {names} FROM planning_staging"))  # noqa: S608
    written = max(cursor.rowcount, 0)
    cursor.execute("TRUNCATE planning_staging")
    return written


def _copy(cursor, statement: str, rows: list[tuple]) -> None:
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _insert_sql(column_names: list[str], source: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in column_names)
    table = quote(Touchpoint._meta.db_table)
    # Same syntax on SQLite and PostgreSQL. Every name comes from the model, never from
    # input.
    return (
        f"INSERT INTO {table} ({columns}) {source} "  # noqa: S608
        f"ON CONFLICT ({quote('idempotency_key')}) DO NOTHING"
    )


def _chunks(items: Iterable, size: int) -> Iterable[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _busy_for(chunk: Sequence[tuple]) -> dict[int, list[tuple]]:
    """(engagement id, channel, purpose, due time) of the touchpoints that may hold a cap
    slot for the chunk's customers; whether they count is up to each business's calendar."""
    busy: dict[int, list[tuple]] = {}
    rows = Touchpoint.objects.filter(
        Q(channel__in=kinds.AUTOMATED, status__in=CAP_STATUSES)
        | Q(channel__in=kinds.PERSONAL, status__in=PERSONAL_CAP_STATUSES),
        customer_id__in={job[2] for job in chunk},
    ).values_list("customer_id", "engagement_id", "channel", "purpose", "due_at")
    for customer_id, *rest in rows:
        busy.setdefault(customer_id, []).append(tuple(rest))
    return busy


def _customers_for(chunk: Sequence[tuple], books: dict) -> tuple[dict, dict]:
    """From one read of the chunk's customers: customer id → (time zone name, incident
    open) for those who live outside the business zone or have an open incident (the rest
    plan with ("", False)), and the refusals (_refusals)."""
    rows = Customer.objects.filter(pk__in={job[2] for job in chunk}).values_list(
        *REACH_FIELDS, "timezone", "marketing_hold")
    zones, reach = {}, []
    for *fields, zone, hold in rows:
        reach.append(fields)
        if zone or hold:
            zones[fields[0]] = (zone, hold)
    return zones, _refusals(chunk, books, reach)


def _refusals(chunk: Sequence[tuple], books: dict, reach: list) -> dict[tuple, set | None]:
    """(customer id, playbook id) → the ids of the steps the customer may not get, None for
    all of them (the do-not-contact list); absent when they may get every step. The same
    rule as plan_engagement's, asked of the ledger once per chunk."""
    playbook_ids = {job[3] for job in chunk}
    asks = {(channel, purpose) for playbook_id in playbook_ids
            for _, channel, purpose in books[playbook_id].asks}
    blocked, refused = refusals_of(reach, asks)
    refusals: dict[tuple, set | None] = {}
    for customer_id, playbook_id in {(job[2], job[3]) for job in chunk}:
        if customer_id in blocked:
            refusals[(customer_id, playbook_id)] = None
            continue
        no = refused.get(customer_id)
        steps = no and {step_id for step_id, channel, purpose in books[playbook_id].asks
                        if (channel, purpose) in no}
        if steps:
            refusals[(customer_id, playbook_id)] = steps
    return refusals


def _book(playbook_id: int, books: dict, fixed: tuple) -> _PlaybookPlan:
    book = books.get(playbook_id)
    if book is None:
        book = books[playbook_id] = _PlaybookPlan(
            Playbook.objects.select_related("business").get(pk=playbook_id), fixed)
    return book


def _rows(chunk: Sequence[tuple], books: dict, known: tuple, taken: dict,
          now: dt.datetime) -> list[tuple]:
    """The chunk's rows in BULK_COLUMNS order: per row only the tokens, the key and the
    owner are new; the rest is the cached plan's."""
    keys, customer_ids, engagement_ids, tails = [], [], [], []
    for job in chunk:
        suffixes, job_tails = _parts_for(job, books[job[3]], known, taken, now)
        keys += map(job[1].__add__, suffixes)
        customer_ids += repeat(job[2], len(suffixes))
        engagement_ids += repeat(job[0], len(suffixes))
        tails += job_tails
    tokens = new_public_ids(2 * len(tails))
    heads = zip(tokens[::2], tokens[1::2], keys, customer_ids, engagement_ids, strict=True)
    return list(map(tuple.__add__, heads, tails))


def _parts_for(job: tuple, book: _PlaybookPlan, known: tuple, taken: dict,
               now: dt.datetime) -> tuple[tuple, Sequence[tuple]]:
    """The job's key suffixes and row tails, after its consent; its capped times are
    noted in `taken` for the customer's later engagements."""
    customer_id = job[2]
    cached = _plan_cached(job, book, known, taken, now)
    tails, counted = cached.tails, cached.counted
    refused = known[2].get((customer_id, job[3]), cached)
    if refused is not cached:
        tails, counted = cached.refused(refused)
    if counted:
        taken[customer_id] = taken.get(customer_id, ()) + counted
    return cached.suffixes, tails


def _plan_cached(job: tuple, book: _PlaybookPlan, known: tuple, taken: dict,
                 now: dt.datetime) -> _CachedPlan:
    busy, customers = known[0], known[1]
    pk, customer_id = job[0], job[2]
    customer_timezone, held = customers.get(customer_id, ("", False))
    calendar = book.calendar_for(customer_timezone)
    others = [at for eng_id, channel, purpose, at in busy.get(customer_id, ())
              if eng_id != pk and calendar.counts_toward_cap(channel, purpose)]
    others.extend(taken.get(customer_id, ()))
    if others:
        # Another engagement holds slots for this customer: plan this one on its own.
        planned = plan(_events(job), book.specs, calendar, now, busy=others,
                       incident_open=held)
        return _CachedPlan(book, planned, calendar)
    zone = calendar.zone
    key = (customer_timezone, held, *(job[at].astimezone(zone).date() if job[at] else None
                                      for at in book.reads))
    cached = book.plans.get(key)
    if cached is None:
        cached = book.plans[key] = _CachedPlan(
            book, plan(_events(job), book.specs, calendar, now, incident_open=held),
            calendar)
    return cached


def _events(job: tuple) -> dict[str, dt.datetime | None]:
    return dict(zip(PLAN_EVENTS, job[4:], strict=True))


# Replanning when a touch ends or an incident opens or closes ---------------------------------

def replan_after(touchpoint: Touchpoint) -> None:
    """A playbook touch was done, skipped or cancelled: redo its engagement's plan, so what
    the cap moved because of it moves back and a repeat gets its next occurrence. Call it
    once the change has committed."""
    if touchpoint.origin == Origin.PLAYBOOK_STEP:
        _replan(Engagement.objects.filter(pk=touchpoint.engagement_id))


ENDED_UNSENT = (Status.SKIPPED, Status.MISSED, Status.FAILED, Status.CANCELLED)


def replan_ended_repeats(rows: Iterable[Touchpoint]) -> None:
    """The worker ended occurrences of repeats without sending them (too late, no consent,
    no address): the repeat still moves on to its next occurrence, as after a send. Never
    fatal to the worker; the next change replans anyway."""
    ended = [row.id for row in rows
             if row.status in ENDED_UNSENT and row.origin == Origin.PLAYBOOK_STEP]
    if not ended:
        return
    repeats = Touchpoint.objects.filter(
        id__in=ended, step__repeat_every_days__isnull=False).values("engagement_id")
    try:
        _replan(Engagement.objects.filter(pk__in=repeats))
    except Exception:
        logger.exception("Replanning repeats after a worker pass failed")


def _replan(engagements) -> None:
    for engagement in (engagements.filter(cancelled_at__isnull=True, playbook__isnull=False)
                       .select_related("business", "customer")):
        plan_engagement(engagement)


@receiver(events.domain_event, dispatch_uid="touchpoints.planning.replan")
def replan_on_event(sender, business, name: str, payloads: list[dict], **kwargs) -> None:
    """An incident opened or was resolved (the feedback app sets Customer.marketing_hold and
    publishes; touchpoints never imports feedback), or the worker sent an occurrence of a
    repeat: replan the engagements concerned. Never fatal to the sender (the worker)."""
    if name in (events.INCIDENT_OPENED, events.INCIDENT_RESOLVED):
        engagements = Engagement.objects.filter(
            business=business, customer__public_id__in=_ids(payloads, "customer"))
    elif name == events.TOUCHPOINT_SENT:
        repeats = Touchpoint.objects.filter(
            business=business, public_id__in=_ids(payloads, "touchpoint"),
            origin=Origin.PLAYBOOK_STEP, step__repeat_every_days__isnull=False,
        ).values("engagement_id")
        engagements = Engagement.objects.filter(pk__in=repeats)
    else:
        return
    try:
        _replan(engagements)
    except Exception:  # the send already happened; a replan can wait for the next change
        logger.exception("Replanning after %s failed", name)


def _ids(payloads: list[dict], name: str) -> list[str]:
    return [p[name] for p in payloads if isinstance(p.get(name), str)]
