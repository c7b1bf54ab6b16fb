"""The pure planner: no database, no clock."""

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from followthrough.playbooks.planner import (
    BusinessCalendar,
    StepSpec,
    events_read,
    intents,
    local_date,
    next_allowed,
    plan,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=UTC)  # "now" before everything: nothing missed


def calendar(zone=NEW_YORK, **changes) -> BusinessCalendar:
    base = BusinessCalendar(
        zone=zone,
        business_days=frozenset({1, 2, 3, 4, 5}),
        business_hours=(dt.time(9), dt.time(17)),
        quiet_hours=(dt.time(20), dt.time(8)),
        catch_up=dt.timedelta(days=2),
        frequency_cap=dt.timedelta(0),
    )
    return replace(base, **changes)


def spec(key="s1", *, anchor="won", days=0, hours=0, at=dt.time(9), channel="email",
         every=None, until="", window=None) -> StepSpec:
    return StepSpec(
        key=key, name=key, anchor=anchor, offset_days=days, offset_hours=hours, local_time=at,
        repeat_every_days=every, repeat_until=until, channel=channel, stage=4,
        element="check_in", purpose="relationship", window_days=window,
    )


def local(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def one(events, step, cal, now=LONG_AGO, busy=()):
    [planned] = plan(events, [step], cal, now, busy)
    return planned


def test_it_keeps_nine_oclock_across_spring_forward_in_new_york():
    won = local(NEW_YORK, 2026, 3, 6, 15, 0)  # Friday before the Sunday 8 March jump
    planned = one({"won": won}, spec(days=3), calendar())
    assert planned.due_at.astimezone(NEW_YORK).time() == dt.time(9)
    assert planned.due_at == dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_it_keeps_nine_oclock_across_fall_back_in_new_york():
    won = local(NEW_YORK, 2026, 10, 30, 15, 0)
    planned = one({"won": won}, spec(days=3), calendar())
    assert planned.due_at == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_it_keeps_nine_oclock_across_both_transitions_in_berlin():
    spring = one({"won": local(BERLIN, 2026, 3, 27, 12)}, spec(days=3), calendar(BERLIN))
    autumn = one({"won": local(BERLIN, 2026, 10, 23, 12)}, spec(days=3), calendar(BERLIN))
    assert spring.due_at == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert autumn.due_at == dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_it_moves_a_nonexistent_time_to_the_first_valid_one_in_new_york():
    step = spec(at=dt.time(2, 30))
    planned = one({"won": local(NEW_YORK, 2026, 3, 8, 12)}, step, calendar(quiet_hours=(
        dt.time(23), dt.time(1))))
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 3, 8, 3, 0)
    assert planned.local_time == dt.time(2, 30)
    assert "does not exist" in planned.moved_reason


def test_it_moves_a_nonexistent_time_to_the_first_valid_one_in_berlin():
    step = spec(at=dt.time(2, 30))
    cal = calendar(BERLIN, quiet_hours=(dt.time(23), dt.time(1)))
    planned = one({"won": local(BERLIN, 2026, 3, 29, 12)}, step, cal)
    assert planned.due_at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_it_takes_the_first_occurrence_of_an_ambiguous_time_in_new_york():
    step = spec(at=dt.time(1, 30))
    cal = calendar(quiet_hours=(dt.time(23), dt.time(1)))
    planned = one({"won": local(NEW_YORK, 2026, 11, 1, 12)}, step, cal)
    assert planned.due_at == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert planned.moved_reason == ""


def test_it_takes_the_first_occurrence_of_an_ambiguous_time_in_berlin():
    step = spec(at=dt.time(2, 30))
    cal = calendar(BERLIN, quiet_hours=(dt.time(23), dt.time(1)))
    planned = one({"won": local(BERLIN, 2026, 10, 25, 12)}, step, cal)
    assert planned.due_at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST


def test_it_applies_offset_hours_after_the_local_time():
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, spec(days=1, hours=3), calendar())
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 2, 12, 0)


def test_it_anchors_on_the_local_date_of_the_event():
    # 02:00 UTC on 2 June is still 1 June in New York.
    planned = one({"won": dt.datetime(2026, 6, 2, 2, 0, tzinfo=UTC)}, spec(days=1), calendar())
    assert planned.local_date == dt.date(2026, 6, 2)


def test_it_plans_nothing_for_an_anchor_without_a_date():
    step = spec(anchor="delivered")
    assert plan({"won": local(NEW_YORK, 2026, 6, 1, 8), "delivered": None}, [step],
                calendar(), LONG_AGO) == []


def test_it_marks_a_touchpoint_past_the_catch_up_window_missed():
    won = local(NEW_YORK, 2026, 6, 1, 8)
    planned = one({"won": won}, spec(), calendar(), now=won + dt.timedelta(days=3))
    assert planned.status == "missed"


def test_it_keeps_a_touchpoint_within_the_catch_up_window_planned():
    won = local(NEW_YORK, 2026, 6, 1, 8)
    planned = one({"won": won}, spec(), calendar(), now=won + dt.timedelta(days=1))
    assert planned.status == "planned"


def test_it_moves_an_email_out_of_quiet_hours_to_their_end():
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, spec(at=dt.time(6)), calendar())
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 1, 8, 0)
    assert "quiet hours" in planned.moved_reason


def test_it_moves_a_late_evening_sms_past_midnight_to_the_next_morning():
    step = spec(at=dt.time(21, 30), channel="sms")
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, step, calendar())
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 2, 8, 0)


def test_it_leaves_an_email_outside_quiet_hours_alone():
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, spec(at=dt.time(19, 59)), calendar())
    assert planned.moved_reason == ""


def test_it_handles_quiet_hours_that_do_not_wrap():
    cal = calendar(quiet_hours=(dt.time(12), dt.time(14)))
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, spec(at=dt.time(13)), cal)
    assert planned.due_at.astimezone(NEW_YORK).time() == dt.time(14)


def test_it_moves_a_call_before_opening_to_opening_time():
    step = spec(at=dt.time(7), channel="call")
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, step, calendar())  # a Monday
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 1, 9, 0)
    assert planned.local_time == dt.time(7)
    assert "business hours" in planned.moved_reason


def test_it_moves_a_call_after_closing_to_the_next_business_morning():
    step = spec(at=dt.time(18), channel="call")
    planned = one({"won": local(NEW_YORK, 2026, 6, 5, 8)}, step, calendar())  # a Friday
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 8, 9, 0)


def test_it_moves_a_card_on_a_weekend_to_monday_at_the_same_time():
    step = spec(at=dt.time(11), channel="card")
    planned = one({"won": local(NEW_YORK, 2026, 6, 6, 8)}, step, calendar())  # a Saturday
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 8, 11, 0)
    assert "not a business day" in planned.moved_reason


def test_it_moves_an_early_weekend_call_to_monday_opening():
    step = spec(at=dt.time(7), channel="call")
    planned = one({"won": local(NEW_YORK, 2026, 6, 7, 8)}, step, calendar())  # a Sunday
    assert planned.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 8, 9, 0)


def test_it_lets_emails_go_out_on_weekends():
    planned = one({"won": local(NEW_YORK, 2026, 6, 6, 8)}, spec(at=dt.time(11)), calendar())
    assert planned.moved_reason == ""


def test_it_repeats_until_the_until_event():
    step = spec(anchor="started", every=7, until="delivered")
    events = {"won": local(NEW_YORK, 2026, 6, 1, 8), "started": local(NEW_YORK, 2026, 6, 1, 8),
              "delivered": local(NEW_YORK, 2026, 6, 20, 8)}
    series = intents(step, {k: local_date(at, NEW_YORK) for k, at in events.items()})
    assert [at.day for at in series] == [1, 8, 15]


def test_it_repeats_to_a_horizon_while_the_until_event_has_no_date():
    step = spec(anchor="started", every=7, until="delivered")
    events = {"started": local(NEW_YORK, 2026, 6, 1, 8), "delivered": None}
    series = intents(step, {"started": local_date(events["started"], NEW_YORK)})
    assert len(series) == 26
    assert series[-1] - series[0] <= dt.timedelta(days=180)


def test_it_caps_repeats_at_fifty_two():
    step = spec(anchor="started", every=1, until="delivered")
    series = intents(step, {"started": dt.date(2026, 6, 1)})
    assert len(series) == 52


def test_it_reads_the_anchors_and_the_ends_of_repeats():
    steps = [spec("a", anchor="delivered"), spec("b", anchor="won", until="closed"),
             spec("c", anchor="delivered", every=7, until="closed")]
    assert events_read(steps) == {"delivered", "won", "closed"}


def test_it_reads_the_start_when_a_step_is_meant_for_before_the_work():
    before = replace(spec(anchor="won"), stage=1)
    assert events_read([before]) == {"won", "started"}


def test_it_plans_the_same_whatever_the_dates_of_events_it_does_not_read():
    steps = [spec("a", anchor="delivered", days=1), spec("b", anchor="delivered", days=2)]
    cal = calendar(frequency_cap=dt.timedelta(days=2))
    delivered = local(NEW_YORK, 2026, 6, 10, 8)
    plans = [plan({"won": local(NEW_YORK, 2026, 6, day, 8), "started": started,
                   "delivered": delivered}, steps, cal, LONG_AGO)
             for day, started in ((1, None), (3, local(NEW_YORK, 2026, 6, 4, 8)))]
    assert events_read(steps) == {"delivered"}
    assert plans[0] == plans[1]


def test_it_moves_a_second_message_inside_the_frequency_cap():
    steps = [spec("a", days=1), spec("b", days=2)]
    cal = calendar(frequency_cap=dt.timedelta(days=2))
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, cal, LONG_AGO)
    assert [p.step_key for p in planned] == ["a", "b"]
    assert planned[1].due_at - planned[0].due_at == dt.timedelta(days=2)
    assert "frequency cap" in planned[1].moved_reason


def test_it_never_drops_messages_for_the_frequency_cap():
    steps = [spec(str(n), days=0) for n in range(5)]
    cal = calendar(frequency_cap=dt.timedelta(days=1))
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, cal, LONG_AGO)
    assert len(planned) == 5
    gaps = {b.due_at - a.due_at for a, b in zip(planned, planned[1:], strict=False)}
    assert gaps == {dt.timedelta(days=1)}


def test_it_keeps_a_capped_message_out_of_quiet_hours():
    steps = [spec("a", at=dt.time(19)), spec("b", at=dt.time(19, 30))]
    cal = calendar(frequency_cap=dt.timedelta(hours=3))
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, cal, LONG_AGO)
    assert planned[1].due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 6, 2, 8, 0)


def test_it_moves_a_message_away_from_busy_times_of_other_engagements():
    cal = calendar(frequency_cap=dt.timedelta(days=2))
    busy = [local(NEW_YORK, 2026, 6, 2, 10).astimezone(UTC)]
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, spec(days=1), cal, busy=busy)
    assert planned.due_at == busy[0] + dt.timedelta(days=2)


def test_it_does_not_count_missed_messages_toward_the_cap():
    steps = [spec("old", days=0), spec("new", days=10)]
    won = local(NEW_YORK, 2026, 6, 1, 8)
    cal = calendar(frequency_cap=dt.timedelta(days=2))
    now = won + dt.timedelta(days=9, hours=23)
    planned = plan({"won": won}, steps, cal, now)
    assert [p.status for p in planned] == ["missed", "planned"]
    assert planned[1].moved_reason == ""


def test_it_leaves_personal_touches_out_of_the_frequency_cap():
    steps = [spec("email", days=1), spec("call", days=1, at=dt.time(10), channel="call")]
    cal = calendar(frequency_cap=dt.timedelta(days=2))
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, cal, LONG_AGO)
    assert all(p.moved_reason == "" for p in planned)


def test_it_returns_touchpoints_by_due_time_then_step_order():
    steps = [spec("late", days=2), spec("early", days=1), spec("same", days=1)]
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, calendar(), LONG_AGO)
    assert [p.step_key for p in planned] == ["early", "same", "late"]


def test_it_returns_aware_utc_due_times():
    planned = one({"won": local(BERLIN, 2026, 6, 1, 8)}, spec(), calendar(BERLIN))
    assert planned.due_at.utcoffset() == dt.timedelta(0)


# The contact-pressure budget: one cap for every kind of contact, calls and texts only in the
# customer's call hours, and nothing ever dropped for either.

LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
NINE_TO_EIGHT = (dt.time(9), dt.time(20))


def pressure(zone=NEW_YORK, **changes) -> BusinessCalendar:
    base = calendar(zone, frequency_cap=dt.timedelta(days=2), cap_includes_personal=True,
                    call_window=NINE_TO_EIGHT)
    return replace(base, **changes)


def at_local(planned, zone) -> dt.datetime:
    return planned.due_at.astimezone(zone).replace(tzinfo=None)


def test_it_counts_a_call_toward_the_frequency_cap():
    steps = [spec("call", days=1, at=dt.time(10), channel="call"),
             spec("email", days=1, at=dt.time(17, 30))]
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, pressure(), LONG_AGO)
    assert [p.step_key for p in planned] == ["call", "email"]
    assert planned[1].due_at - planned[0].due_at == dt.timedelta(days=2)
    assert "frequency cap: one contact per 2 days" in planned[1].moved_reason


def test_it_moves_a_capped_call_into_business_hours_on_a_business_day():
    busy = [local(NEW_YORK, 2026, 6, 4, 18).astimezone(UTC)]  # an email Thursday 18:00
    step = spec(days=1, at=dt.time(10), channel="call")
    planned = one({"won": local(NEW_YORK, 2026, 6, 3, 8)}, step, pressure(), busy=busy)
    assert at_local(planned, NEW_YORK) == dt.datetime(2026, 6, 8, 9, 0)  # Monday opening


def test_it_never_drops_calls_or_emails_for_the_cap():
    steps = [spec(str(n), at=dt.time(10), channel=("call" if n % 2 else "email"),
                  window=30)
             for n in range(6)]
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, pressure(), LONG_AGO)
    assert len(planned) == 6
    gaps = [b.due_at - a.due_at for a, b in zip(planned, planned[1:], strict=False)]
    assert min(gaps) >= dt.timedelta(days=2)


def test_it_leaves_personal_touches_out_of_the_cap_when_the_business_says_so():
    steps = [spec("call", days=1, at=dt.time(10), channel="call"),
             spec("email", days=1, at=dt.time(17, 30))]
    cal = pressure(cap_includes_personal=False)
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, cal, LONG_AGO)
    assert all(p.moved_reason == "" for p in planned)


def test_it_moves_a_call_that_is_too_late_for_the_customer_into_their_call_hours():
    step = spec(at=dt.time(16), channel="call")  # 16:00 New York is 21:00 in London
    cal = pressure(customer_zone=LONDON)
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, step, cal)
    # 09:00 London is 04:00 New York, before opening: the first time both allow.
    assert at_local(planned, NEW_YORK) == dt.datetime(2026, 6, 2, 9, 0)
    assert "customer's call hours" in planned.moved_reason


def test_it_leaves_a_call_inside_the_customers_call_hours_alone():
    step = spec(at=dt.time(10), channel="call")
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, step, pressure(customer_zone=LONDON))
    assert planned.moved_reason == ""


def test_it_reads_call_hours_in_the_business_zone_when_the_customer_has_none():
    step = spec(at=dt.time(20, 30), channel="sms")
    cal = pressure(quiet_hours=(dt.time(22), dt.time(7)))
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, step, cal)
    assert at_local(planned, NEW_YORK) == dt.datetime(2026, 6, 2, 9, 0)


def test_it_follows_the_customers_dst_change_not_the_businesss():
    # New York moved its clocks on 8 March, Berlin only on 29 March 2026: 14:30 in New York
    # is 19:30 in Berlin between the two, and 20:30 (too late) after.
    step = spec(at=dt.time(14, 30), channel="sms")
    cal = pressure(customer_zone=BERLIN)
    between = one({"won": local(NEW_YORK, 2026, 3, 16, 8)}, step, cal)
    after = one({"won": local(NEW_YORK, 2026, 3, 30, 8)}, step, cal)
    assert between.moved_reason == ""
    # 09:00 Berlin is 03:00 New York, inside the business's quiet hours: 08:00 New York.
    assert at_local(after, NEW_YORK) == dt.datetime(2026, 3, 31, 8, 0)
    assert at_local(after, BERLIN) == dt.datetime(2026, 3, 31, 14, 0)


def test_it_keeps_nine_oclock_for_the_customer_across_their_spring_forward():
    cal = pressure(zone=dt.UTC, business_days=frozenset(range(1, 8)),
                   business_hours=(dt.time(0), dt.time(23, 59)), customer_zone=LONDON)
    step = spec(at=dt.time(6), channel="call")
    before = one({"won": local(dt.UTC, 2026, 3, 27, 1)}, step, cal)
    after = one({"won": local(dt.UTC, 2026, 3, 30, 1)}, step, cal)
    assert before.due_at == dt.datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # 09:00 GMT
    assert after.due_at == dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 09:00 BST


def test_it_keeps_the_call_window_off_emails_and_cards():
    steps = [spec("email", at=dt.time(19, 30)), spec("card", at=dt.time(16), channel="card")]
    cal = pressure(customer_zone=LONDON, cap_includes_personal=False)
    planned = plan({"won": local(NEW_YORK, 2026, 6, 1, 8)}, steps, cal, LONG_AGO)
    assert all(p.moved_reason == "" for p in planned)


def test_it_puts_the_customers_night_first_when_no_hours_overlap():
    step = spec(at=dt.time(10), channel="call")
    planned = one({"won": local(NEW_YORK, 2026, 6, 1, 8)}, step, pressure(customer_zone=TOKYO))
    assert dt.time(9) <= planned.due_at.astimezone(TOKYO).time() < dt.time(20)
    assert "no time suits" in planned.moved_reason


def test_it_finds_the_next_allowed_time_for_a_one_off_message():
    now = local(NEW_YORK, 2026, 6, 1, 22).astimezone(UTC)  # in quiet hours
    busy = [local(NEW_YORK, 2026, 6, 2, 9).astimezone(UTC)]
    due = next_allowed(now, "email", pressure(), busy)
    assert due == busy[0] + dt.timedelta(days=2)
