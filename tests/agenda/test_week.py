"""This week: seven days of compact rows (time, customer, what, channel), promises on their
day, and what is still open from before at the top."""

import datetime as dt
import re

from django.utils import timezone

from followthrough.agenda.models import Promise
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status


def _local(business, days, hour):
    day = timezone.now().astimezone(business.zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=business.zone)


def _day(text, number):
    """The HTML of the `number`th day's section (1 is today)."""
    start = text.index(f'id="day-{number}"')
    return text[start:text.index("</section>", start)]


def test_it_has_seven_days_starting_today(owner_client, touch, business):
    touch(due_at=_local(business, 3, 10))
    text = owner_client.get("/week/").text
    assert len(re.findall(r'<section class="week-day', text)) == 7
    assert "Today, " in _day(text, 1) and "Nothing planned." in _day(text, 7)


def test_it_puts_each_touch_on_its_day_as_one_row(owner_client, touch, business):
    call = touch(due_at=_local(business, 2, 14), name="Check-in call")
    text = owner_client.get("/week/").text
    day = _day(text, 3)
    row = day[day.index(f'id="touch-{call.public_id}"'):]
    row = row[:row.index("</li>")]
    assert "14:00" in row and "Jamie Rivera" in row and "Check-in call" in row
    assert "Phone call" in row
    assert call.public_id not in _day(text, 2)


def test_it_orders_a_day_by_time(owner_client, touch, business):
    late = touch(due_at=_local(business, 1, 16), name="Late call")
    early = touch(due_at=_local(business, 1, 9), name="Early call")
    day = _day(owner_client.get("/week/").text, 2)
    assert day.index(early.public_id) < day.index(late.public_id)


def test_it_shows_a_promise_on_its_day(owner_client, business, customer):
    Promise.objects.create(business=business, customer=customer, what="Bring spare filters",
                           due_on=_local(business, 4, 12).date())
    day = _day(owner_client.get("/week/").text, 5)
    assert "Bring spare filters" in day and "By the day" in day


def test_it_lists_what_is_still_open_from_before_at_the_top(owner_client, touch, business):
    old = touch(due_at=_local(business, -3, 10), name="Forgotten call")
    text = owner_client.get("/week/").text
    top = text[text.index('id="week-overdue"'):text.index('class="week-grid"')]
    assert old.public_id in top and 'href="/today/">Catch up on Today' in top


def test_it_leaves_out_what_is_done_automated_or_after_the_week(owner_client, touch, business):
    done = touch(due_at=_local(business, 1, 10), status=Status.DONE)
    email = touch(due_at=_local(business, 1, 11), channel=kinds.EMAIL)
    later = touch(due_at=_local(business, 8, 10))
    shown = touch(due_at=_local(business, 1, 12))
    text = owner_client.get("/week/").text
    assert shown.public_id in text
    for row in (done, email, later):
        assert row.public_id not in text


def test_it_shows_someone_elses_touch_only_under_everyone(owner_client, touch, business, staff):
    theirs = touch(due_at=_local(business, 1, 10), who=staff)
    assert theirs.public_id not in owner_client.get("/week/").text
    assert theirs.public_id in owner_client.get("/week/?who=everyone").text


def test_it_reads_a_few_queries_however_full_the_week(owner_client, touch, business,
                                                    django_assert_max_num_queries):
    for n in range(30):
        touch(due_at=_local(business, n % 7, 9 + n % 8))
    with django_assert_max_num_queries(7):
        owner_client.get("/week/")
