"""The worker holds a row back by the same rules the planner plans by: quiet hours are the
planner's, consent is customers/consent.py's, and each move or skip carries its reason code."""

import datetime as dt

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.playbooks.planner import outside_quiet_hours
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Reason, Status
from followthrough.touchpoints.planning import business_calendar
from tests.touchpoints.conftest import NOON

# 22:00 in New York, inside the default quiet hours (20:00–08:00).
LATE_EVENING = dt.datetime(2026, 6, 11, 2, 0, tzinfo=dt.UTC)


def refreshed(tp):
    tp.refresh_from_db()
    return tp


def test_it_sends_when_the_quiet_hours_start_and_end_at_the_same_time(sink, business,
                                                                        make_touchpoint):
    # The planner reads equal ends as no quiet hours at all; the worker used to read them as
    # quiet all day and move the message a day at a time, for ever.
    business.quiet_hours_start = business.quiet_hours_end = dt.time(20, 0)
    business.save()
    tp = make_touchpoint(due_at=LATE_EVENING - dt.timedelta(minutes=1))
    planned, _ = outside_quiet_hours(LATE_EVENING, business_calendar(business))
    assert planned == LATE_EVENING
    report = worker.run_once(now=LATE_EVENING)
    assert (report.sent, refreshed(tp).status, len(sink.messages)) == (1, Status.SENT, 1)


def test_it_moves_to_the_end_the_planner_gives(sink, business, make_touchpoint):
    tp = make_touchpoint(due_at=LATE_EVENING - dt.timedelta(minutes=1))
    planned, _ = outside_quiet_hours(LATE_EVENING, business_calendar(business))
    worker.run_once(now=LATE_EVENING)
    tp = refreshed(tp)
    assert (tp.status, tp.due_at, tp.reason_code) == (Status.PLANNED, planned,
                                                      Reason.QUIET_HOURS)


def test_it_gives_a_consent_skip_its_reason_code(sink, make_touchpoint):
    tp = make_touchpoint()
    consent.record_consent(tp.customer, kinds.EMAIL, v.RELATIONSHIP, False, "test")
    worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (tp.status, tp.reason_code) == (Status.SKIPPED, Reason.NO_CONSENT)


def test_it_gives_a_cancellation_its_reason_code(sink, make_touchpoint):
    tp = make_touchpoint()
    tp.engagement.cancelled_at = NOON
    tp.engagement.save()
    worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (tp.status, tp.reason_code) == (Status.CANCELLED, Reason.ENGAGEMENT_CANCELLED)


def test_it_skips_every_purpose_after_a_transactional_withdrawal(sink, make_touchpoint):
    # STOP by text, or an old bounce: the channel takes nothing, whatever the purpose.
    tp = make_touchpoint(purpose=v.RELATIONSHIP)
    consent.record_consent(tp.customer, kinds.EMAIL, v.TRANSACTIONAL, False, "test")
    report = worker.run_once(now=NOON)
    assert (report.skipped, refreshed(tp).status, sink.messages) == (1, Status.SKIPPED, [])
