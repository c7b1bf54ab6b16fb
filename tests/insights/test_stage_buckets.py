"""The per-stage outcomes read from the day buckets (rollup.stage_outcomes) equal the
direct count over the touchpoints (metrics.stage_outcomes), for every period, with rows
due right at a period's edges, at UTC midnight and across a DST change, and after the
rows change: a status moved, a touchpoint archived, a customer deleted or merged."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from followthrough import vocabulary as v
from followthrough.insights import metrics as m
from followthrough.insights import rollup
from followthrough.insights.models import StageDay
from followthrough.tenants.models import Business
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Status, Touchpoint
from tests.insights.factories import NOW, PROPERTY, customer, engagement, touch

STATUSES = [Status.SENT, Status.DONE, Status.SKIPPED, Status.MISSED, Status.FAILED,
            Status.CANCELLED, Status.PLANNED]
# Instants a bucket edge could get wrong: the periods' starts, UTC midnights, the end of
# British and American summer time, and "now" itself.
EDGES = [NOW - dt.timedelta(days=d) for d in (0, 30, 90, 365)] + [
    dt.datetime(2026, 6, 15, 0, 0, tzinfo=dt.UTC), dt.datetime(2026, 5, 16, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), dt.datetime(2025, 10, 26, 1, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC), dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC),
]
touch_st = st.tuples(st.sampled_from(EDGES), st.integers(-1500, 1500),  # minutes off
                     st.sampled_from(STATUSES), st.integers(1, 4), st.integers(0, 2))
# (touch index, new status) for rows moved after the build; then a row deleted or not.
case_st = st.fixed_dictionaries({
    "zone": st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney"]),
    "touches": st.lists(touch_st, min_size=1, max_size=25),
    "moves": st.lists(st.tuples(st.integers(0, 24), st.sampled_from(
        [Status.DONE, Status.SKIPPED, Status.MISSED, Status.CANCELLED])), max_size=4),
    "archive": st.booleans(),
    "delete_customer": st.booleans(),
    "now_off": st.sampled_from([0, -720, 1, -1, 60 * 12]),  # minutes from NOW
})


def assert_same(business, now):
    for key in m.PERIODS:
        p = m.period(key, now=now)
        assert rollup.stage_outcomes(business, p) == m.stage_outcomes(business, p), key


def make(business, rows):
    people = [customer(business, f"Person {n}") for n in range(3)]
    jobs = [engagement(business, who, won=500, delivered=499) for who in people]
    made = []
    for at, minutes, status, stage, who in rows:
        due = at + dt.timedelta(minutes=minutes)
        made.append(touch(jobs[who], v.CHECK_IN, status, stage=stage,
                          due=(NOW - due) / dt.timedelta(days=1)))
    return people, made


@PROPERTY
@given(case=case_st)
def test_it_counts_from_the_buckets_what_the_touchpoints_say(db, case):
    with transaction.atomic():
        business = Business.objects.create(slug="buckets", name="Buckets",
                                           timezone=case["zone"])
        people, made = make(business, case["touches"])
        rollup.refresh(business)
        now = NOW + dt.timedelta(minutes=case["now_off"])
        assert_same(business, now)
        for index, to in case["moves"]:
            if index < len(made) and lifecycle.allowed(made[index].status, to):
                lifecycle.transition(made[index], to)
        if case["archive"]:
            made[0].delete()
        if case["delete_customer"]:
            people[1].delete()
        rollup.refresh(business)
        assert_same(business, now)
        transaction.set_rollback(True)


def test_it_takes_an_archived_touchpoint_off_its_day(business):
    _, (t,) = make(business, [(NOW, -3000, Status.SENT, 2, 0)])
    rollup.refresh(business)
    assert StageDay.objects.get(business=business).completed == 1
    Touchpoint.objects.filter(pk=t.pk).delete()
    rollup.refresh(business)
    assert StageDay.objects.get(business=business).completed == 0
    assert_same(business, NOW)


def test_it_counts_a_merged_customers_touchpoint_once(business):
    people, (t,) = make(business, [(NOW, -3000, Status.SKIPPED, 3, 0)])
    rollup.refresh(business)
    Touchpoint.objects.filter(pk=t.pk).update(customer=people[2], updated_at=timezone.now())
    rollup.refresh(business)
    assert StageDay.objects.get(business=business).skipped == 1
    assert_same(business, NOW)


def test_it_reads_the_whole_days_from_the_buckets(business):
    """The period's figure really comes from StageDay: a bucket changed by hand shows."""
    make(business, [(NOW, -3000, Status.MISSED, 1, 0)])
    rollup.refresh(business)
    StageDay.objects.filter(business=business).update(missed=7)
    rows = rollup.stage_outcomes(business, m.period("30", now=NOW))
    assert rows[0]["missed"] == 7 and rows[0]["total"] == 7


def test_it_keeps_one_bucket_per_day_and_stage(business):
    make(business, [(NOW, -3000 - n, s, 4, n % 3) for n, s in
                    enumerate([Status.SENT, Status.DONE, Status.FAILED, Status.SKIPPED])])
    rollup.refresh(business)
    bucket = StageDay.objects.get(business=business)
    assert (bucket.completed, bucket.skipped, bucket.missed) == (2, 1, 1)
