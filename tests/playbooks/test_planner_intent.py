"""The pure planner keeps each step's intent: windows, the job starting, transactional
messages, priorities, ended touches, repeats one ahead and open incidents."""

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from followthrough.playbooks.planner import BusinessCalendar, StepSpec, plan

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=UTC)
MONDAY = dt.datetime(2026, 6, 1, 8, tzinfo=NEW_YORK)


def calendar(**changes) -> BusinessCalendar:
    base = BusinessCalendar(
        zone=NEW_YORK, business_days=frozenset({1, 2, 3, 4, 5}),
        business_hours=(dt.time(9), dt.time(17)), quiet_hours=(dt.time(20), dt.time(8)),
        catch_up=dt.timedelta(days=2), frequency_cap=dt.timedelta(days=2),
        cap_includes_personal=True,
    )
    return replace(base, **changes)


def spec(key, *, anchor="won", days=0, at=dt.time(10), channel="email", stage=4,
         element="other", purpose="relationship", every=None, until="", window=None,
         priority=None) -> StepSpec:
    return StepSpec(
        key=key, name=key, anchor=anchor, offset_days=days, offset_hours=0, local_time=at,
        repeat_every_days=every, repeat_until=until, channel=channel, stage=stage,
        element=element, purpose=purpose, window_days=window, priority=priority,
    )


def by_key(planned):
    return {p.step_key: p for p in planned}


def local(p) -> dt.datetime:
    return p.due_at.astimezone(NEW_YORK).replace(tzinfo=None)


def test_it_drops_a_step_before_the_work_once_the_job_has_started():
    before = spec("before", days=1, stage=2, at=dt.time(17, 30))
    events = {"won": MONDAY, "started": MONDAY, "delivered": MONDAY}
    [p] = plan(events, [before], calendar(), LONG_AGO)
    assert (p.status, p.reason_code) == ("skipped", "job_started")
    assert p.moved_reason == "the job had already started"


def test_it_keeps_a_step_before_the_work_while_the_job_has_not_started():
    before = spec("before", days=1, stage=2)
    events = {"won": MONDAY, "started": MONDAY + dt.timedelta(days=5)}
    [p] = plan(events, [before], calendar(), LONG_AGO)
    assert p.status == "planned"


def test_it_keeps_a_thank_you_call_after_the_sale_when_the_job_starts_the_same_day():
    call = spec("call", days=1, stage=1, channel="call", element="thank_you")
    [p] = plan({"won": MONDAY, "started": MONDAY}, [call], calendar(), LONG_AGO)
    assert p.status == "planned"


def test_it_skips_a_thank_you_the_cap_would_push_out_of_its_window():
    steps = [spec(f"t{n}", element="thank_you", priority=50 - n) for n in range(4)]
    planned = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO))
    assert [planned[f"t{n}"].status for n in range(4)] == [
        "planned", "planned", "planned", "skipped"]
    assert planned["t3"].reason_code == "outside_window"
    assert planned["t3"].moved_reason == "too late to still make sense"


def test_it_skips_a_back_dated_thank_you_rather_than_send_it_days_late():
    thanks = spec("thanks", element="thank_you")
    now = MONDAY + dt.timedelta(days=5)
    [p] = plan({"won": MONDAY}, [thanks], calendar(catch_up=dt.timedelta(days=7)), now)
    assert (p.status, p.reason_code) == ("skipped", "outside_window")


def test_it_lets_a_step_keep_a_longer_window_of_its_own():
    thanks = spec("thanks", element="thank_you", window=10)
    now = MONDAY + dt.timedelta(days=5)
    [p] = plan({"won": MONDAY}, [thanks], calendar(catch_up=dt.timedelta(days=7)), now)
    assert p.status == "planned"


def test_it_leaves_transactional_messages_out_of_the_contact_budget():
    steps = [spec("order", at=dt.time(8), purpose="transactional"),
             spec("card", at=dt.time(11), channel="card", element="thank_you")]
    planned = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO))
    assert local(planned["card"]) == dt.datetime(2026, 6, 1, 11)
    assert local(planned["order"]) == dt.datetime(2026, 6, 1, 8)


def test_it_does_not_move_a_transactional_message_for_the_cap():
    busy = [MONDAY.astimezone(UTC)]
    order = spec("order", at=dt.time(9), purpose="transactional")
    [p] = plan({"won": MONDAY}, [order], calendar(), LONG_AGO, busy=busy)
    assert local(p) == dt.datetime(2026, 6, 1, 9)


def test_it_moves_the_automated_email_rather_than_the_thank_you_call():
    steps = [spec("tips", at=dt.time(9, 30), element="onboarding"),
             spec("call", at=dt.time(10), channel="call", element="onboarding")]
    planned = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO))
    assert local(planned["call"]) == dt.datetime(2026, 6, 1, 10)
    assert planned["tips"].reason_code == "frequency_cap"


def test_it_lets_a_step_priority_override_the_default():
    steps = [spec("tips", at=dt.time(9, 30), priority=99),
             spec("call", at=dt.time(10), channel="call", element="thank_you")]
    planned = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO))
    assert local(planned["tips"]) == dt.datetime(2026, 6, 1, 9, 30)
    assert planned["call"].reason_code == "frequency_cap"


def test_it_moves_a_touch_back_once_the_touch_that_pushed_it_was_skipped():
    steps = [spec("call", channel="call", element="thank_you"),
             spec("email", at=dt.time(11), element="check_in")]
    before = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO))
    assert before["email"].reason_code == "frequency_cap"
    after = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO,
                        history={("call", 0): None}))
    assert "call" not in after
    assert local(after["email"]) == dt.datetime(2026, 6, 1, 11)


def test_it_keeps_the_slot_of_a_touch_that_was_done():
    steps = [spec("call", channel="call", element="thank_you"),
             spec("email", at=dt.time(11), element="check_in")]
    done_at = MONDAY.replace(hour=10).astimezone(UTC)
    after = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO,
                        history={("call", 0): done_at}))
    assert after["email"].reason_code == "frequency_cap"


def test_it_plans_only_the_next_occurrence_of_a_repeat():
    weekly = spec("weekly", anchor="started", every=7, until="delivered")
    planned = plan({"started": MONDAY}, [weekly], calendar(), LONG_AGO)
    assert [(p.step_key, p.occurrence) for p in planned] == [("weekly", 0)]


def test_it_plans_the_following_occurrence_once_the_last_one_ended():
    weekly = spec("weekly", anchor="started", every=7, until="delivered")
    at = MONDAY.replace(hour=10).astimezone(UTC)
    planned = plan({"started": MONDAY}, [weekly], calendar(), LONG_AGO,
                   history={("weekly", 0): at})
    assert [p.occurrence for p in planned] == [1]
    assert planned[0].local_date == dt.date(2026, 6, 8)


def test_it_plans_the_next_upcoming_occurrence_of_a_repeat_that_began_long_ago():
    weekly = spec("weekly", anchor="started", every=7, until="delivered")
    now = MONDAY + dt.timedelta(days=20)
    planned = plan({"started": MONDAY}, [weekly], calendar(), now)
    assert [(p.occurrence, p.status) for p in planned] == [(3, "planned")]


def test_it_holds_back_the_tactless_asks_while_an_incident_is_open():
    steps = [spec("referral", element="referral"), spec("social", days=3,
                                                         element="social_invite"),
             spec("subscribe", days=6, element="subscribe_invite"),
             spec("offer", days=9, purpose="marketing")]
    planned = plan({"won": MONDAY}, steps, calendar(), LONG_AGO, incident_open=True)
    assert {(p.status, p.reason_code) for p in planned} == {("skipped", "incident_open")}
    assert planned[0].moved_reason == "held back while a complaint is open"


def test_it_gives_a_detractor_with_an_open_incident_the_same_review_ask():
    steps = [spec("review", anchor="delivered", days=7, element="review")]
    events = {"won": MONDAY, "delivered": MONDAY}
    calm = plan(events, steps, calendar(), LONG_AGO)
    upset = plan(events, steps, calendar(), LONG_AGO, incident_open=True)
    assert upset == calm
    assert upset[0].status == "planned"


def test_it_lets_a_held_ask_free_its_cap_slot():
    steps = [spec("referral", element="referral"), spec("check", at=dt.time(11),
                                                         element="check_in")]
    planned = by_key(plan({"won": MONDAY}, steps, calendar(), LONG_AGO, incident_open=True))
    assert planned["check"].reason_code == ""
    assert local(planned["check"]) == dt.datetime(2026, 6, 1, 11)
