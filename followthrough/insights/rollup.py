"""Keep the rollups (models.py) in step with the business's rows, and read the page's
health and delta figures from them.

Why: relationship health needs every customer's newest contact, maintenance and feedback,
and the monthly delta needs which elements happened for every engagement of the last
12 months. Read from the touchpoint table, that is a walk over most of a million rows on
every cold view (seconds). The rollups hold the same facts, one row per customer and per
engagement, and only the customers whose rows changed are recomputed.

What counts as a change (refresh()):
- a touchpoint whose updated_at is newer than the business's watermark (every send,
  completion, skip and replan moves it, the worker's bulk updates too);
- an engagement created, a customer updated, a promise made or settled, an incident opened
  or resolved, a survey response received or edited since the watermark (their own
  timestamps, so bulk imports and update() calls are seen without signals);
- a StaleCustomer note, written by receivers.py when a row is saved or deleted.
The watermark trails the clock by OVERLAP, so a row whose transaction committed a little
after it was stamped is still read; rows inside that window are simply read twice.

The definitions stay in metrics.py: a customer's rollup is metrics.health_inputs() for
that customer, and the SQL ranking below mirrors metrics.evaluate()
(tests/insights/test_rollup.py checks the two agree)."""

import bisect
import datetime as dt
import statistics
import time

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Collate, Greatest
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.insights import metrics as m
from followthrough.insights.models import (
    CustomerRollup,
    EngagementRollup,
    RollupState,
    StageDay,
    StageTouch,
    StaleCustomer,
    TouchRollup,
)
from followthrough.touchpoints.models import Status, Touchpoint

OVERLAP = dt.timedelta(seconds=60)
CHUNK = 2000
DUE_FIELDS = {e: f"due_{e}" for e in m.ELEMENTS}
TOUCH_ELEMENTS = (m.v.FEEDBACK, m.v.MAINTENANCE)


# ------------------------------------------------------------------ keeping up

def refresh(business, now: dt.datetime | None = None, rebuild: bool = False) -> int:
    """Bring the business's rollups up to date; the number of customers recomputed. The
    first call (or `rebuild`) reads everything; later calls only what changed."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = (RollupState.objects.select_for_update()
                    .get_or_create(business_id=business.pk))
        stale = list(StaleCustomer.objects.filter(business_id=business.pk)
                     .values_list("pk", "customer_id"))
        if rebuild or state.built_at is None:
            count = _rebuild(business)
            state.built_at = now
        else:
            ids = {c for _, c in stale} | changed_customers(business, state.touchpoints_seen)
            count = _recompute(business, sorted(ids))
        if stale:
            StaleCustomer.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        state.touchpoints_seen = now - OVERLAP
        state.refreshed_at = now
        state.save()
    return count


def build_step(business, now: dt.datetime | None = None, limit: int | None = None) -> bool:
    """Build the next `limit` customers of a business's first build; True once it is
    built. The watermark is the build's start, so rows that change while later chunks
    are built are read again by the first refresh after it."""
    now, limit = now or timezone.now(), limit or CHUNK
    with transaction.atomic():
        state, _ = (RollupState.objects.select_for_update()
                    .get_or_create(business_id=business.pk))
        if state.built_at is not None:
            return True
        if state.build_started is None:
            state.build_started, state.build_cursor, state.build_done = now, 0, 0
            state.build_total = Customer.objects.filter(business_id=business.pk).count()
        ids = list(Customer.objects.filter(business_id=business.pk, pk__gt=state.build_cursor)
                   .order_by("pk").values_list("pk", flat=True)[:limit])
        if ids:
            _recompute(business, ids)
            state.build_cursor, state.build_done = ids[-1], state.build_done + len(ids)
        if len(ids) < limit:
            state.built_at = state.refreshed_at = now
            state.touchpoints_seen = state.build_started - OVERLAP
            state.build_started = None
            state.build_total = max(state.build_total, state.build_done)
        state.save()
    return state.built_at is not None


def build_pending(seconds: float = 1.0, limit: int | None = None) -> int:
    """Advance the first builds of businesses whose rollups are not built yet: at least
    one chunk (of `limit` customers, CHUNK by default), then more while `seconds` last
    (the worker calls this after each pass, so sending never waits long). Returns the
    number of chunks built."""
    from followthrough.tenants.models import Business

    deadline, chunks = time.monotonic() + seconds, 0
    waiting = Business.objects.exclude(
        pk__in=RollupState.objects.filter(built_at__isnull=False).values("business_id")
    ).order_by("pk")
    for business in waiting:
        done = False
        while not done and (chunks == 0 or time.monotonic() < deadline):
            chunks += 1
            done = build_step(business, limit=limit)
        if not done:
            break
    return chunks


def progress(business) -> dict | None:
    """None when the business's rollups are built; else how far the first build is."""
    state = RollupState.objects.filter(business_id=business.pk).first()
    if state is not None and state.built_at is not None:
        return None
    total = (state.build_total if state and state.build_started else
             Customer.objects.filter(business_id=business.pk).count())
    done = state.build_done if state and state.build_started else 0
    return {"done": done, "total": total,
            "percent": 100 * done // total if total else 0}


def refresh_built(now: dt.datetime | None = None) -> int:
    """Refresh every business whose rollups exist (never a first build: that is left to
    the first page view or `followthrough insights_rollup`)."""
    from followthrough.tenants.models import Business

    total = 0
    for business in Business.objects.filter(
            pk__in=RollupState.objects.filter(built_at__isnull=False).values("business_id")):
        total += refresh(business, now)
    return total


def forget_in_rollup(business, customer_id: int) -> None:
    """Rebuild one customer's rollup rows now: after an erasure the old name must not wait
    in the table for the next refresh. Without built rollups there is nothing to keep, so
    the rows simply go (the first build reads the erased row)."""
    built = RollupState.objects.filter(business_id=business.pk, built_at__isnull=False)
    if built.exists():
        _recompute(business, [customer_id])
        return
    CustomerRollup.objects.filter(business_id=business.pk, customer_id=customer_id).delete()
    EngagementRollup.objects.filter(business_id=business.pk, customer_id=customer_id).delete()
    TouchRollup.objects.filter(business_id=business.pk, customer_id=customer_id).delete()


def changed_customers(business, since: dt.datetime) -> set[int]:
    """Customers with a row stamped after `since`; see the module docstring."""
    from followthrough.insights.metrics import optional_model

    b = business.pk
    # No DISTINCT: SQLite would walk the whole table in customer order to honour it.
    ids = set(Touchpoint.objects.filter(business_id=b, updated_at__gt=since)
              .values_list("customer_id", flat=True).order_by())
    ids |= set(Engagement.objects.filter(business_id=b, created_at__gt=since)
               .values_list("customer_id", flat=True).order_by())
    ids |= set(Customer.objects.filter(business_id=b, updated_at__gt=since)
               .values_list("pk", flat=True).order_by())
    for label, name, stamps in (("agenda", "Promise", ("created_at", "resolved_at")),
                                ("feedback", "Incident", ("opened_at", "resolved_at")),
                                ("feedback", "SurveyResponse", ("created_at", "updated_at"))):
        model = optional_model(label, name)
        if model is None:
            continue
        q = Q()
        for stamp in stamps:
            q |= Q(**{f"{stamp}__gt": since})
        ids |= set(model.objects.filter(q, business_id=b)
                   .values_list("customer_id", flat=True).order_by())
    return ids


def _rebuild(business) -> int:
    CustomerRollup.objects.filter(business_id=business.pk).delete()
    EngagementRollup.objects.filter(business_id=business.pk).delete()
    inputs = m.health_inputs(business)
    CustomerRollup.objects.bulk_create(_customer_rows(business, inputs.values()),
                                       batch_size=CHUNK)
    EngagementRollup.objects.bulk_create(_engagement_rows(business, None), batch_size=CHUNK)
    TouchRollup.objects.filter(business_id=business.pk).delete()
    TouchRollup.objects.bulk_create(_touch_rows(business, None), batch_size=CHUNK)
    _rebuild_stages(business)
    return len(inputs)


def _recompute(business, ids: list[int]) -> int:
    count = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        # By customer only (the ids are this business's): with the business too, SQLite
        # walks the business's whole rollup index instead of seeking each customer.
        CustomerRollup.objects.filter(customer_id__in=chunk).delete()
        EngagementRollup.objects.filter(customer_id__in=chunk).delete()
        TouchRollup.objects.filter(customer_id__in=chunk).delete()
        inputs = m.health_inputs(business, chunk)
        CustomerRollup.objects.bulk_create(_customer_rows(business, inputs.values()))
        EngagementRollup.objects.bulk_create(_engagement_rows(business, chunk))
        TouchRollup.objects.bulk_create(_touch_rows(business, chunk))
        _recompute_stages(business, chunk)
        count += len(inputs)
    return count


def _customer_rows(business, inputs):
    for h in inputs:
        yield CustomerRollup(
            customer_id=h.customer_id, business_id=business.pk, name_key=h.name.lower()[:200],
            last_contact=h.last_contact, last_seen=h.last_seen, fixed_penalty=m.fixed_penalty(h),
            promises_kept=h.promises_kept, promises_broken=h.promises_broken,
            latest_score=h.latest_score, detractor_unrecovered=h.detractor_unrecovered,
            open_incident=h.open_incident, maintenance_due=h.maintenance_due,
            maintenance_missed=h.maintenance_missed, maintenance_since=h.maintenance_since,
        )


def _engagement_rows(business, customer_ids):
    scope = {} if customer_ids is None else {"customer_id__in": customer_ids}
    times = m.element_times(Engagement.objects.filter(business_id=business.pk, **scope))
    rows = list(Engagement.objects.filter(business_id=business.pk, **scope)
                .values_list("pk", "customer_id", "delivered_at", "cancelled_at", "won_at")
                .order_by())
    sales = _sales(rows)
    for pk, customer_id, delivered, cancelled, won in rows:
        plan = times.get(pk, {})
        live = cancelled is None
        yield EngagementRollup(
            engagement_id=pk, business_id=business.pk, customer_id=customer_id,
            delivered_at=delivered if live else None,
            happened=sum(done for _, done in plan.values()),
            **{name: plan[e][0] if e in plan else None for e, name in DUE_FIELDS.items()},
            won_at=won if live else None, repeat=live and len(sales[customer_id]) > 1,
            gap_days=sales[customer_id].get(pk) if live else None,
        )


def _sales(rows) -> dict[int, dict[int, float | None]]:
    """Customer id → {engagement id: days since the customer's previous sale or job}, over
    the ones not cancelled, in (won_at, id) order (metrics.time_to_next_purchase)."""
    by_customer: dict[int, list] = {}
    for pk, customer_id, _delivered, cancelled, won in rows:
        by_customer.setdefault(customer_id, [])
        if cancelled is None:
            by_customer[customer_id].append((won, pk))
    out = {}
    for customer_id, live in by_customer.items():
        live.sort()
        gaps = {live[0][1]: None} if live else {}
        for (before, _), (won, pk) in zip(live, live[1:], strict=False):
            gaps[pk] = (won - before).total_seconds() / 86400
        out[customer_id] = gaps
    return out


def _touch_rows(business, customer_ids):
    """The feedback requests and maintenance reminders sent or done, each reminder with
    whether it became a job (metrics.feedback_metrics, metrics.maintenance_jobs)."""
    scope = {} if customer_ids is None else {"customer_id__in": customer_ids}
    touches = list(
        Touchpoint.objects.filter(business_id=business.pk, element__in=TOUCH_ELEMENTS,
                                  status__in=Status.HAPPENED, **scope)
        .annotate(at=Coalesce("completed_at", "due_at"))
        .values_list("pk", "customer_id", "engagement_id", "element", "at").order_by())
    won: dict[int, list] = {}
    reminded = {t[1] for t in touches if t[3] == m.v.MAINTENANCE}
    if reminded:
        for customer_id, pk, when in (
            Engagement.objects.filter(business_id=business.pk, cancelled_at__isnull=True,
                                      customer_id__in=reminded)
            .values_list("customer_id", "pk", "won_at").order_by()
        ):
            won.setdefault(customer_id, []).append((pk, when))
    window = dt.timedelta(days=m.NEXT_JOB_DAYS)
    for pk, customer_id, engagement_id, element, at in touches:
        job = element == m.v.MAINTENANCE and any(
            e != engagement_id and at <= when <= at + window
            for e, when in won.get(customer_id, ()))
        yield TouchRollup(touchpoint_id=pk, business_id=business.pk, customer_id=customer_id,
                          element=element, at=at, became_job=job)


# ------------------------------------------------------------ reading: health

def _clock(now: dt.datetime) -> tuple[Q, Q]:
    """(maintenance overdue, no contact) as of `now`: the SQL twin of metrics.evaluate."""
    return (Q(maintenance_missed=True) | Q(maintenance_since__lte=m.overdue_after(now)),
            Q(last_seen__lt=m.no_contact_before(now)))


def warning_signs(now: dt.datetime) -> dict[str, Q]:
    """Conditions on a CustomerRollup as of `now`, for the Customers list's filters."""
    overdue, quiet = _clock(now)
    return {"unhappy": Q(detractor_unrecovered=True) | Q(open_incident=True),
            "at_risk": Q(fixed_penalty__gt=0) | overdue | quiet,
            "no_contact": quiet}


def score_expression(now: dt.datetime):
    """A CustomerRollup's health score as of `now` in SQL: the twin of _score below."""
    overdue, quiet = _clock(now)
    points = m.PENALTIES
    return Greatest(Value(0), Value(100) - F("fixed_penalty")
                    - Case(When(overdue, then=Value(points["maintenance"])), default=Value(0))
                    - Case(When(quiet, then=Value(points["no_contact"])), default=Value(0)),
                    output_field=IntegerField())


def _score(fixed: int, maintenance: bool, quiet: bool) -> int:
    return max(0, 100 - fixed - m.PENALTIES["maintenance"] * maintenance
               - m.PENALTIES["no_contact"] * quiet)


def score_groups(business, now: dt.datetime) -> dict[tuple[int, bool, bool], int]:
    """(fixed penalty, maintenance overdue, no contact) → number of customers with a rollup
    in that state. One pass over an index; every score follows from the three. (Counted
    over an indexed column, not the key: the key is a bigint, not SQLite's rowid, so
    counting it would read the table.)"""
    overdue, quiet = _clock(now)
    out = {}
    for r in (CustomerRollup.objects.filter(business_id=business.pk).values("fixed_penalty")
              .annotate(n=Count("*"), overdue=Count("fixed_penalty", filter=overdue),
                        quiet=Count("fixed_penalty", filter=quiet),
                        both=Count("fixed_penalty", filter=overdue & quiet))
              .order_by()):
        fixed, both = r["fixed_penalty"], r["both"]
        for key, n in (((fixed, True, True), both), ((fixed, True, False), r["overdue"] - both),
                       ((fixed, False, True), r["quiet"] - both),
                       ((fixed, False, False), r["n"] - r["overdue"] - r["quiet"] + both)):
            if n:
                out[key] = n
    return out


def health_summary(business, groups: dict) -> dict:
    """metrics.health_summary over every customer; a customer without a rollup has
    nothing against them and scores 100."""
    customers = Customer.objects.filter(business_id=business.pk).count()
    if not customers:
        return {"customers": 0, "average": None, "at_risk": 0}
    rolled = sum(groups.values())
    total = sum(_score(*k) * n for k, n in groups.items()) + 100 * (customers - rolled)
    return {"customers": customers, "average": round(total / customers, 1),
            "at_risk": sum(n for k, n in groups.items() if _score(*k) < 100)}


def at_risk(business, now: dt.datetime, groups: dict,
            limit: int | None = None) -> list[m.Health]:
    """metrics.at_risk: lowest score first, then name, then id; at most `limit`."""
    risky = sorted((_score(*k), k) for k in groups if _score(*k) < 100)
    if limit is not None:
        # Only the states whose scores can reach the first `limit` rows need sorting.
        seen, ceiling = 0, None
        for score, key in risky:
            if ceiling is not None and score > ceiling and seen >= limit:
                break
            seen, ceiling = seen + groups[key], score
        risky = [(score, key) for score, key in risky if ceiling is not None
                 and score <= ceiling]
    if not risky:
        return []
    overdue, quiet = _clock(now)
    which, score = Q(pk__in=[]), []
    for points, (fixed, late, silent) in risky:
        state = (Q(fixed_penalty=fixed) & (overdue if late else ~overdue)
                 & (quiet if silent else ~quiet))
        which |= state
        score.append(When(state, then=Value(points)))
    binary = "C" if connection.vendor == "postgresql" else "BINARY"  # Python's str order
    ids = (CustomerRollup.objects.filter(which, business_id=business.pk)
           .annotate(score=Case(*score, default=Value(100), output_field=IntegerField()))
           .order_by("score", Collate("name_key", binary), "customer_id")
           .values_list("customer_id", flat=True))
    ids = list(ids if limit is None else ids[:limit])
    rows = CustomerRollup.objects.in_bulk(ids)
    names = dict((pk, (name, pid)) for pk, name, pid in Customer.objects.filter(
        pk__in=ids).values_list("pk", "name", "public_id"))
    out = []
    for pk in ids:
        r = rows[pk]
        name, public_id = names.get(pk, ("", ""))
        h = m.Health(
            pk, name, public_id, last_contact=r.last_contact,
            promises_kept=r.promises_kept, promises_broken=r.promises_broken,
            latest_score=r.latest_score, detractor_unrecovered=r.detractor_unrecovered,
            open_incident=r.open_incident, maintenance_due=r.maintenance_due,
            last_seen=r.last_seen, maintenance_missed=r.maintenance_missed,
            maintenance_since=r.maintenance_since)
        out.append(m.evaluate(h, now))
    return out


# ------------------------------------------------------------- reading: delta

def _due_by(end: dt.datetime) -> dict:
    """Per element, how many rows had it due by `end` (aggregates named n_due_<element>)."""
    return {f"n_{name}": Count("delivered_at", filter=Q(**{f"{name}__lte": end}))
            for name in DUE_FIELDS.values()}


def practice_delta(business, p: m.Period) -> dict:
    """metrics.practice_delta, from the engagement rollups: the elements due by the
    period's end are compared in SQL."""
    r = (EngagementRollup.objects.filter(p.q("delivered_at"), business_id=business.pk)
         .aggregate(n=Count("delivered_at"), happened=Sum("happened"), **_due_by(p.end)))
    return m.gaps_figure(r["n"], sum(r[f"n_{name}"] for name in DUE_FIELDS.values()),
                         r["happened"] or 0)


def delta_trend(business, p: m.Period) -> list[dict]:
    """metrics.delta_trend, from the engagement rollups. Months are told apart by
    comparing with each month's first local midnight, so no per-row time-zone call. Each
    database gets the statement it runs fastest: on the bench's 100,000 customers the
    month-by-month ranges took a third of the grouped CASE's time on SQLite, and half as
    long again as it on PostgreSQL (which plans every part and starts workers for them)."""
    zone = business.zone
    delivered = EngagementRollup.objects.filter(business_id=business.pk,
                                                delivered_at__isnull=False)
    first = delivered.aggregate(first=Min("delivered_at"))["first"]
    months = m.month_starts(business, p, first)
    starts = [dt.datetime.combine(month, dt.time(0), tzinfo=zone) for month in months]
    figures = {"n": Count("delivered_at"), "happened": Sum("happened"), **_due_by(p.end),
               **{f"plan_{e}": Count(name) for e, name in DUE_FIELDS.items()}}
    by_month = (_months_by_range if connection.vendor == "sqlite" else _months_by_case)(
        delivered, starts, p.end, figures)
    out = []
    for i, month in enumerate(months):
        r = by_month.get(i)
        n = r["n"] if r else 0
        due = sum(r[f"n_{name}"] for name in DUE_FIELDS.values()) if r else 0
        planned = sum(r[f"plan_{e}"] > 0 for e in DUE_FIELDS) if r else 0
        out.append({
            "month": month,
            "engagements": n,
            "practice": round((due - r["happened"]) / n, 2) if n else None,
            "design": len(m.ELEMENTS) - planned if n else None,
        })
    return out


def _months_by_case(delivered, starts: list, end: dt.datetime,
                    figures: dict) -> dict[int, dict]:
    """Month index → `figures` over its rows: each row's month is a CASE over the month
    starts, and PostgreSQL hashes the rows into their months."""
    which = Case(*[When(delivered_at__lt=start, then=Value(i - 1))
                   for i, start in enumerate(starts) if i],
                 default=Value(len(starts) - 1), output_field=IntegerField())
    rows = (delivered.filter(delivered_at__gte=starts[0], delivered_at__lte=end)
            .annotate(month=which)
            .values("month").annotate(**figures).order_by())
    return {r["month"]: r for r in rows}


def _months_by_range(delivered, starts: list, end: dt.datetime,
                     figures: dict) -> dict[int, dict]:
    """The same, as one aggregate per month over that month's range of the covering index,
    all in one statement: SQLite would try the CASE's branches one by one for every row,
    then sort the rows to group them. Each part is told by its first delivery, which falls
    in its month (an empty month gives no row), so the aggregates are built once for every
    month. Only the last month is bounded by the period's end: given a second upper bound,
    SQLite searched each month's range up to the end instead of up to the next month."""
    each = (delivered.values("business_id").annotate(first=Min("delivered_at"), **figures)
            .values("first", *figures))
    parts = [each.filter(delivered_at__gte=start, delivered_at__lt=after)
             for start, after in zip(starts, starts[1:], strict=False)]
    parts.append(each.filter(delivered_at__gte=starts[-1], delivered_at__lte=end))
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {bisect.bisect_right(starts, r["first"]) - 1: r for r in rows}


# ------------------------------------------------------------ reading: outcomes

def repeat_purchase(business, p: m.Period) -> dict:
    """metrics.repeat_purchase, from the engagement rollups. For all time each customer
    is counted by their first sale or job (the one row with no gap before it): they have
    a sale by the period's end exactly when the first one is by then. Counting those rows
    needs no distinct count, which took 55 ms of an all-time view on SQLite at 100,000
    customers (10 ms without). A shorter period still counts distinct customers: a first
    sale in it is not marked in the rollup."""
    rows = EngagementRollup.objects.filter(p.q("won_at"), business_id=business.pk)
    if p.start is None:
        r = rows.filter(gap_days__isnull=True).aggregate(
            customers=Count("won_at"), repeat=Count("won_at", filter=Q(repeat=True)))
    else:
        r = rows.aggregate(
            customers=Count("customer_id", distinct=True),
            repeat=Count("customer_id", distinct=True, filter=Q(repeat=True)))
    return {"customers": r["customers"], "repeat": r["repeat"],
            "rate": m._rate(r["repeat"], r["customers"])}


def time_to_next_purchase(business, p: m.Period) -> dict:
    """metrics.time_to_next_purchase, from the engagement rollups."""
    gaps = list(EngagementRollup.objects.filter(p.q("won_at"), business_id=business.pk,
                                                gap_days__isnull=False)
                .values_list("gap_days", flat=True).order_by())
    return {"pairs": len(gaps),
            "median_days": round(statistics.median(gaps), 1) if gaps else None}


def maintenance_jobs(business, p: m.Period) -> dict:
    """metrics.maintenance_jobs, from the touch rollups."""
    r = (TouchRollup.objects.filter(p.q("at"), business_id=business.pk,
                                    element=m.v.MAINTENANCE)
         .aggregate(reminders=Count("at"), jobs=Count("at", filter=Q(became_job=True))))
    return {"reminders": r["reminders"], "jobs": r["jobs"],
            "rate": m._rate(r["jobs"], r["reminders"])}


def feedback_requests(business, p: m.Period) -> tuple[int, int]:
    """metrics.feedback_metrics' requests asked in the period and how many were answered,
    from the touch rollups."""
    asked = TouchRollup.objects.filter(p.q("at"), business_id=business.pk,
                                       element=m.v.FEEDBACK)
    Response = m.optional_model("feedback", "SurveyResponse")
    answered = (Response.objects.filter(business_id=business.pk,
                                        touchpoint_id__in=asked.values("touchpoint_id"))
                .values("touchpoint_id").distinct().count()) if Response else 0
    return asked.count(), answered


# ------------------------------------------------------- per-stage outcomes by day

OUTCOME = {Status.SENT: StageTouch.COMPLETED, Status.DONE: StageTouch.COMPLETED,
           Status.SKIPPED: StageTouch.SKIPPED, Status.MISSED: StageTouch.MISSED,
           Status.FAILED: StageTouch.MISSED}
COLUMNS = ("completed", "skipped", "missed")  # by StageTouch outcome


def _utc_day(when: dt.datetime) -> dt.date:
    return when.astimezone(dt.UTC).date()


def _stage_rows(business, customer_ids):
    """The ledger rows of the customers' finished touchpoints (every customer's: None)."""
    scope = {} if customer_ids is None else {"customer_id__in": customer_ids}
    rows = (Touchpoint.objects.filter(business_id=business.pk, status__in=list(OUTCOME), **scope)
            .values_list("pk", "customer_id", "due_at", "stage", "status").order_by())
    for pk, customer_id, due, stage, status in rows.iterator(chunk_size=CHUNK):
        yield StageTouch(touchpoint_id=pk, business_id=business.pk, customer_id=customer_id,
                         due_at=due, stage=stage, outcome=OUTCOME[status])


def _recompute_stages(business, customer_ids: list[int]) -> None:
    """Replace the customers' ledger rows and move the day buckets by the difference.
    Old rows are found by customer and by touchpoint, so a touchpoint that moved to
    another customer (a merge) is taken off once and counted once."""
    new = list(_stage_rows(business, customer_ids))
    # By the ids alone (they are this business's): with the business too, the planners
    # walk the business's whole ledger index instead of seeking each id.
    old = StageTouch.objects.filter(Q(customer_id__in=customer_ids)
                                    | Q(touchpoint_id__in=[r.pk for r in new]))
    change = _tally(new)
    for key, n in _tally(old.values_list("due_at", "stage", "outcome")).items():
        change[key] = change.get(key, 0) - n
    old.delete()
    StageTouch.objects.bulk_create(new, batch_size=CHUNK)
    _move_buckets(business, change)


def _tally(rows) -> dict[tuple, int]:
    """(UTC day, stage, outcome) → count, over ledger rows or (due_at, stage, outcome)."""
    out: dict[tuple, int] = {}
    for row in rows:
        due, stage, outcome = ((row.due_at, row.stage, row.outcome)
                               if isinstance(row, StageTouch) else row)
        key = (_utc_day(due), stage, outcome)
        out[key] = out.get(key, 0) + 1
    return out


def _move_buckets(business, change: dict[tuple, int]) -> None:
    """Add `change` ((day, stage, outcome) -> count, negative to take off) to the day
    buckets: one upsert per bucket that adds to the stored counts, the same statement on
    SQLite and PostgreSQL, so a chunk of a first build never reads the buckets back."""
    rows: dict[tuple, list[int]] = {}
    for (day, stage, outcome), n in change.items():
        rows.setdefault((day, stage), [0, 0, 0])[outcome] += n
    rows = {k: v for k, v in rows.items() if any(v)}
    if not rows:
        return
    table = connection.ops.quote_name(StageDay._meta.db_table)
    add = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COLUMNS)
    # Only our own table and column names are formatted in; every value is a parameter.
    sql = (f"INSERT INTO {table} (business_id, day, stage, {', '.join(COLUMNS)}) "  # noqa: S608
           f"VALUES (%s, %s, %s, %s, %s, %s) "
           f"ON CONFLICT (business_id, day, stage) DO UPDATE SET {add}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(business.pk, day, stage, *counts)
                                 for (day, stage), counts in sorted(rows.items())])


def _rebuild_stages(business) -> None:
    StageTouch.objects.filter(business_id=business.pk).delete()
    StageDay.objects.filter(business_id=business.pk).delete()
    tally: dict[tuple, int] = {}
    batch = []
    for row in _stage_rows(business, None):
        batch.append(row)
        key = (_utc_day(row.due_at), row.stage, row.outcome)
        tally[key] = tally.get(key, 0) + 1
        if len(batch) == CHUNK:
            StageTouch.objects.bulk_create(batch)
            batch = []
    StageTouch.objects.bulk_create(batch)
    _move_buckets(business, tally)


def stage_outcomes(business, p: m.Period) -> list[dict]:
    """metrics.stage_outcomes, from the day buckets: the whole UTC days inside the period
    are summed from StageDay, the partial days at its two edges read from the ledger."""
    end_day = dt.datetime.combine(_utc_day(p.end), dt.time(0), tzinfo=dt.UTC)
    table = {s: dict.fromkeys(COLUMNS, 0) for s in m.STAGES}
    ledger = StageTouch.objects.filter(business_id=business.pk)
    days = StageDay.objects.filter(business_id=business.pk, day__lt=end_day.date())
    if p.start is None:
        edges = Q(due_at__gte=end_day, due_at__lte=p.end)
    elif _utc_day(p.start) == end_day.date():
        edges, days = Q(due_at__gte=p.start, due_at__lte=p.end), days.none()
    else:
        first_whole = _utc_day(p.start) + dt.timedelta(days=1)
        since = dt.datetime.combine(first_whole, dt.time(0), tzinfo=dt.UTC)
        edges = (Q(due_at__gte=p.start, due_at__lt=since)
                 | Q(due_at__gte=end_day, due_at__lte=p.end))
        days = days.filter(day__gte=first_whole)
    for r in days.values("stage").annotate(**{c: Sum(c) for c in COLUMNS}).order_by():
        for c in COLUMNS:
            table[r["stage"]][c] += r[c] or 0
    for r in (ledger.filter(edges).values("stage", "outcome").annotate(n=Count("*"))
              .order_by()):
        table[r["stage"]][COLUMNS[r["outcome"]]] += r["n"]
    return [m.stage_row(s, table[s]) for s in m.STAGES]
