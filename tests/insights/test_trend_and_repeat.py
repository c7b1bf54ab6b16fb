"""The monthly trend read as one aggregate per month (rollup.delta_trend) and the
repeat-purchase rate counted by each customer's first sale for all time
(rollup.repeat_purchase) equal the definitions in metrics.py, for every period, with
deliveries and sales right at local month starts (across DST changes, in zones ahead of
and behind UTC) and at the periods' edges, and again after the rows change: a job
cancelled or re-dated, a follow-up done, a customer deleted, the business's zone changed."""

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from followthrough import vocabulary as v
from followthrough.insights import metrics as m
from followthrough.insights import rollup
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Status, Touchpoint
from tests.insights.factories import NOW, PROPERTY, customer, engagement, touch

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
STATUSES = [Status.SENT, Status.DONE, Status.MISSED, Status.PLANNED, Status.CANCELLED]

# (months back from NOW's month, or None for a period edge; which edge; minutes off)
instant_st = st.tuples(st.one_of(st.none(), st.integers(0, 40)), st.sampled_from(
    [0, 30, 90, 365]), st.integers(-1500, 1500))
job_st = st.fixed_dictionaries({
    "who": st.integers(0, 3),
    "won": instant_st,
    "delivered": st.one_of(st.none(), instant_st),
    "cancelled": st.booleans(),
    "touches": st.lists(st.tuples(st.sampled_from(m.ELEMENTS), st.sampled_from(STATUSES),
                                  st.integers(-20, 60)), max_size=3),  # days after delivery
})
case_st = st.fixed_dictionaries({
    "zone": st.sampled_from(ZONES),
    "jobs": st.lists(job_st, min_size=1, max_size=12),
    "cancel": st.lists(st.integers(0, 11), max_size=2),
    "redate": st.lists(st.tuples(st.integers(0, 11), instant_st), max_size=2),
    "send": st.booleans(),
    "delete_customer": st.booleans(),
    "new_zone": st.one_of(st.none(), st.sampled_from(ZONES)),
    # Minutes from NOW to the periods' end; never before NOW, as nothing happens after
    # the page's "now" (a step done late in the future would count as done but not due).
    "now_off": st.sampled_from([0, 1, 60 * 12]),
})


def instant(zone: str, spec) -> dt.datetime:
    """A local month start `months` back from NOW's month (or NOW less a period's days),
    moved by some minutes: the instants a month's or period's edge could get wrong."""
    months, days, minutes = spec
    if months is None:
        edge = NOW - dt.timedelta(days=days)
    else:
        local = NOW.astimezone(zoneinfo.ZoneInfo(zone))
        y, mo = divmod(local.year * 12 + local.month - 1 - months, 12)
        edge = dt.datetime(y, mo + 1, 1, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)
    return edge + dt.timedelta(minutes=minutes)


def ago(when: dt.datetime) -> float:
    return (NOW - when) / dt.timedelta(days=1)


def assert_same(business, now):
    for key in m.PERIODS:
        p = m.period(key, now=now)
        assert rollup.delta_trend(business, p) == m.delta_trend(business, p), key
        assert rollup.repeat_purchase(business, p) == m.repeat_purchase(business, p), key


def make(business, zone, jobs):
    people = [customer(business, f"Person {n}") for n in range(4)]
    made, touches = [], []
    for job in jobs:
        won = instant(zone, job["won"])
        delivered = instant(zone, job["delivered"]) if job["delivered"] else None
        eng = engagement(business, people[job["who"]], won=ago(won),
                         delivered=ago(delivered) if delivered else None,
                         cancelled=ago(won) if job["cancelled"] else None)
        made.append(eng)
        for element, status, after in job["touches"]:
            due = (delivered or won) + dt.timedelta(days=after)
            done = ago(min(due, NOW)) if status in Status.HAPPENED else None
            touches.append(touch(eng, element, status, due=ago(due), completed=done))
    return people, made, touches


def change(business, case, people, made, touches):
    for index in case["cancel"]:
        if index < len(made) and made[index].cancelled_at is None:
            made[index].cancelled_at = made[index].won_at
            made[index].save()
    for index, spec in case["redate"]:
        if index < len(made):
            made[index].delivered_at = instant(case["zone"], spec)
            made[index].save()
    if case["send"]:  # done by a bulk update, as the worker's are, and not after NOW
        for t in touches:
            if t.status == Status.PLANNED:
                Touchpoint.objects.filter(pk=t.pk).update(
                    status=Status.DONE, completed_at=min(t.due_at, NOW),
                    updated_at=timezone.now())
    if case["delete_customer"]:
        people[1].delete()
    if case["new_zone"]:
        business.timezone = case["new_zone"]
        business.save()


@PROPERTY
@given(case=case_st)
def test_it_gives_the_trend_and_repeat_rate_the_definitions_give(db, case):
    with transaction.atomic():
        business = Business.objects.create(slug="trend", name="Trend", timezone=case["zone"])
        people, made, touches = make(business, case["zone"], case["jobs"])
        rollup.refresh(business)
        now = NOW + dt.timedelta(minutes=case["now_off"])
        assert_same(business, now)
        change(business, case, people, made, touches)
        rollup.refresh(business)
        business.refresh_from_db()
        assert_same(business, now)
        transaction.set_rollback(True)


def test_it_counts_a_customer_whose_first_sale_was_cancelled_once(business):
    who = customer(business)
    engagement(business, who, won=300, cancelled=290)
    engagement(business, who, won=200)
    engagement(business, who, won=100)
    rollup.refresh(business)
    p = m.period("all", now=NOW)
    assert rollup.repeat_purchase(business, p) == {"customers": 1, "repeat": 1,
                                                   "rate": 100.0}


def test_it_leaves_out_a_customer_whose_only_sale_is_after_the_end(business):
    engagement(business, customer(business, "Later"), won=-3)
    engagement(business, customer(business, "Now"), won=3)
    rollup.refresh(business)
    p = m.period("all", now=NOW)
    assert rollup.repeat_purchase(business, p)["customers"] == 1


def test_it_shows_an_empty_month_inside_the_trend_as_no_figure(business):
    who = customer(business)
    eng = engagement(business, who, won=100, delivered=95)
    touch(eng, v.CHECK_IN, "sent", due=90)
    engagement(business, who, won=10, delivered=5)
    rollup.refresh(business)
    trend = rollup.delta_trend(business, m.period("all", now=NOW))
    assert [t["engagements"] for t in trend] == [1, 0, 0, 1]
    assert trend[1]["practice"] is None and trend[1]["design"] is None
