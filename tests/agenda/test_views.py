"""Today and the week: what each person sees, and the outcomes of a touch."""

import datetime as dt

from django.utils import timezone

from followthrough.agenda.models import Opportunity, Promise
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status


def test_it_serves_today_at_the_root(owner_client, touch):
    touchpoint = touch()
    assert touchpoint.public_id in owner_client.get("/").text


def test_it_shows_only_my_touches_by_default(owner_client, touch, staff, owner):
    mine = touch(who=owner)
    theirs = touch(who=staff)
    text = owner_client.get("/today/").text
    assert mine.public_id in text
    assert theirs.public_id not in text


def test_it_shows_everyones_touches_on_request(owner_client, touch, staff):
    theirs = touch(who=staff)
    assert theirs.public_id in owner_client.get("/today/?who=everyone").text


def test_it_puts_higher_priority_first(owner_client, touch):
    card = touch(name="Card first?")
    recovery = touch(name="Recovery call", priority=100)
    text = owner_client.get("/today/").text
    assert text.index(recovery.public_id) < text.index(card.public_id)


def test_it_puts_overdue_promises_at_the_top(owner_client, touch, business, customer, owner):
    touch()
    Promise.objects.create(business=business, customer=customer, made_by=owner,
                           what="Send the warranty papers",
                           due_on=timezone.localdate() - dt.timedelta(days=3))
    text = owner_client.get("/today/").text
    assert text.index("Send the warranty papers") < text.index("Your personal touches")


def test_it_shows_open_promises_on_the_card(owner_client, touch, business, customer):
    touch()
    Promise.objects.create(business=business, customer=customer, what="Bring spare filters",
                           due_on=timezone.localdate() + dt.timedelta(days=9))
    assert "Bring spare filters" in owner_client.get("/today/").text


def test_it_lists_the_week_by_day(owner_client, touch):
    later = touch(due_at=timezone.now() + dt.timedelta(days=3))
    far = touch(due_at=timezone.now() + dt.timedelta(days=10))
    text = owner_client.get("/week/").text
    assert later.public_id in text
    assert far.public_id not in text


def test_it_reschedules_once_on_no_answer(owner_client, touch):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/outcome/", {"outcome": "no_answer"})
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.PLANNED
    assert touchpoint.due_at > timezone.now()
    assert "no answer" in touchpoint.moved_reason


def test_it_lets_go_after_the_second_no_answer(owner_client, touch):
    touchpoint = touch()
    url = f"/touches/{touchpoint.public_id}/outcome/"
    owner_client.post(url, {"outcome": "no_answer"})
    owner_client.post(url, {"outcome": "no_answer"})
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SKIPPED
    assert "No answer twice" in touchpoint.outcome_note


def test_it_needs_a_reason_when_not_possible(owner_client, touch):
    touchpoint = touch()
    response = owner_client.post(f"/touches/{touchpoint.public_id}/outcome/",
                                 {"outcome": "not_possible"}, follow=True)
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.PLANNED
    assert "Say why it isn" in response.text


def test_it_records_not_possible_with_the_reason(owner_client, touch):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/outcome/",
                      {"outcome": "not_possible", "outcome_note": "Number disconnected"})
    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.outcome_note) == (Status.SKIPPED, "Number disconnected")


def test_it_assigns_a_touch_to_staff(owner_client, touch, staff):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/assign/",
                      {"assigned_to": staff.username})
    touchpoint.refresh_from_db()
    assert touchpoint.assigned_to == staff


def test_it_refuses_to_assign_to_an_outsider(owner_client, touch, outsider):
    touchpoint = touch()
    response = owner_client.post(f"/touches/{touchpoint.public_id}/assign/",
                                 {"assigned_to": outsider.username}, follow=True)
    touchpoint.refresh_from_db()
    assert touchpoint.assigned_to is None
    assert "Choose someone who works here" in response.text


def test_it_captures_what_else_we_can_do(owner_client, touch):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/else/",
                      {"text": "A quote for the upstairs bathroom"})
    opportunity = Opportunity.objects.get()
    assert opportunity.customer == touchpoint.customer
    assert "upstairs bathroom" in owner_client.get("/today/").text


def test_it_shows_a_card_channel_on_the_week(owner_client, touch):
    card = touch(channel=kinds.CARD, name="Thank-you card")
    assert "Thank-you card" in owner_client.get("/week/").text
    assert card.public_id in owner_client.get("/week/").text


def test_it_shows_the_customers_feedback_on_the_card(owner_client, touch, business):
    from followthrough.feedback.models import SurveyResponse
    touchpoint = touch()
    SurveyResponse.objects.create(business=business, customer=touchpoint.customer,
                                  engagement=touchpoint.engagement, nps=9,
                                  went_well="Tidy and on time")
    text = owner_client.get("/today/").text
    assert "9/10" in text and "Tidy and on time" in text
