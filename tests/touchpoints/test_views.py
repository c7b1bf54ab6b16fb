"""Today: personal touches due today, the automated messages going out, and the actions."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints.models import Status, Touchpoint

_n = itertools.count(1)


@pytest.fixture
def agenda_step(business):
    playbook = Playbook.objects.create(business=business, slug="agenda", name="Agenda")
    return Step.objects.create(
        playbook=playbook, name="Thank-you call", channel=kinds.CALL, element=v.THANK_YOU,
        body="Call {{ customer_first_name }} about {{ engagement_description }}.",
    )


@pytest.fixture
def email_step(agenda_step):
    return Step.objects.create(
        playbook=agenda_step.playbook, name="Thanks by email", channel=kinds.EMAIL,
        element=v.THANK_YOU, subject="Thanks, {{ customer_first_name }}!",
        body="Hi {{ customer_first_name }}, thank you from {{ business_name }}.",
    )


@pytest.fixture
def touch(business, agenda_step):
    """Make a planned touchpoint for a fresh customer; call-channel and due an hour ago."""

    def make(step=None, due_at=None, status=Status.PLANNED, customer=None):
        step = step or agenda_step
        due_at = due_at or timezone.now() - dt.timedelta(hours=1)
        customer = customer or Customer.objects.create(
            business=business, name="Jamie Rivera", email="jamie@example.com",
            phone="+15185550142", defining_moment="We answered the phone on a Sunday.",
            notes="Has a dog called Pepper.",
        )
        engagement = Engagement.objects.create(
            business=business, customer=customer, playbook=step.playbook, kind="Job",
            description="a new water heater", won_at=due_at - dt.timedelta(days=1),
        )
        local = due_at.astimezone(business.zone)
        return Touchpoint.objects.create(
            business=business, engagement=engagement, customer=customer, step=step,
            idempotency_key=f"{engagement.public_id}:{step.public_id}:{next(_n)}",
            name=step.name, channel=step.channel, stage=step.stage, element=step.element,
            purpose=step.purpose, status=status, due_at=due_at, local_date=local.date(),
            local_time=local.time(),
        )

    return make


def test_it_shows_a_personal_touch_due_today(owner_client, touch):
    touchpoint = touch()
    response = owner_client.get("/today/")
    assert response.status_code == 200
    assert f'id="touch-{touchpoint.public_id}"' in response.text
    assert "Jamie Rivera" in response.text


def test_it_serves_today_at_the_root(owner_client, touch):
    touchpoint = touch()
    response = owner_client.get("/")
    assert touchpoint.public_id in response.text


def test_it_shows_customer_context_with_contact_links(owner_client, touch):
    touch()
    text = owner_client.get("/today/").text
    assert 'href="tel:+15185550142"' in text
    assert 'href="mailto:jamie@example.com"' in text
    assert "We answered the phone on a Sunday." in text
    assert "Has a dog called Pepper." in text
    assert "a new water heater" in text


def test_it_shows_the_script_rendered_for_the_customer(owner_client, touch):
    touch()
    assert "Call Jamie about a new water heater." in owner_client.get("/today/").text


def test_it_falls_back_to_the_template_when_the_script_cannot_render(owner_client, touch,
                                                                     agenda_step):
    agenda_step.body = "Call {% if %} now"
    agenda_step.save()
    touch()
    response = owner_client.get("/today/")
    assert response.status_code == 200
    assert "Call {% if %} now" in response.text


def test_it_shows_the_last_touches_with_the_customer(owner_client, touch):
    first = touch(due_at=timezone.now() - dt.timedelta(days=30), status=Status.DONE)
    touch(customer=first.customer)
    assert "Last 1 touch" in owner_client.get("/today/").text


def test_it_leaves_out_personal_touches_due_after_today(owner_client, touch):
    later = touch(due_at=timezone.now() + dt.timedelta(days=2))
    assert later.public_id not in owner_client.get("/today/").text


def test_it_shows_an_empty_state_when_nothing_is_due(owner_client):
    owner_client.post(reverse("checklist_dismiss"))  # the new business's getting-started list
    assert "You're all caught up." in owner_client.get("/today/").text


def test_it_lists_upcoming_automated_messages(owner_client, touch, email_step):
    message = touch(step=email_step, due_at=timezone.now() + dt.timedelta(days=3))
    text = owner_client.get("/today/?rest=1").text
    assert f"/touches/{message.public_id}/preview/" in text
    assert f"/touches/{message.public_id}/cancel/" in text


def test_it_leaves_out_messages_beyond_the_week(owner_client, touch, email_step):
    message = touch(step=email_step, due_at=timezone.now() + dt.timedelta(days=9))
    assert message.public_id not in owner_client.get("/today/").text


def test_it_previews_the_rendered_message(owner_client, touch, email_step):
    message = touch(step=email_step, due_at=timezone.now() + dt.timedelta(days=3))
    response = owner_client.get(f"/touches/{message.public_id}/preview/",
                                headers={"HX-Request": "true"})
    assert "Thanks, Jamie!" in response.text
    assert "thank you from Riverside Plumbing" in response.text


def test_it_marks_a_touch_done_with_a_note(owner_client, touch):
    touchpoint = touch()
    response = owner_client.post(
        f"/touches/{touchpoint.public_id}/done/", {"outcome_note": "Happy with the work"},
        follow=True,
    )
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DONE
    assert touchpoint.outcome_note == "Happy with the work"
    assert "is done" in response.text


def test_it_skips_a_touch_with_a_note(owner_client, touch):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/skip/", {"outcome_note": "Moved away"})
    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.outcome_note) == (Status.SKIPPED, "Moved away")


def test_it_snoozes_a_touch_to_tomorrow(owner_client, touch, business):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/snooze/", {"until": "tomorrow"})
    touchpoint.refresh_from_db()
    tomorrow = timezone.now().astimezone(business.zone).date() + dt.timedelta(days=1)
    assert touchpoint.status == Status.PLANNED
    assert touchpoint.due_at.astimezone(business.zone).date() == tomorrow
    assert touchpoint.due_at.astimezone(business.zone).time() == business.business_hours_start


def test_it_snoozes_a_touch_for_a_week(owner_client, touch, business):
    touchpoint = touch()
    owner_client.post(f"/touches/{touchpoint.public_id}/snooze/", {"until": "next_week"})
    touchpoint.refresh_from_db()
    in_a_week = timezone.now().astimezone(business.zone).date() + dt.timedelta(days=7)
    assert touchpoint.due_at.astimezone(business.zone).date() == in_a_week


def test_it_refuses_an_unknown_snooze(owner_client, touch):
    touchpoint = touch()
    response = owner_client.post(f"/touches/{touchpoint.public_id}/snooze/", {"until": "never"},
                                 follow=True)
    touchpoint.refresh_from_db()
    assert touchpoint.due_at < timezone.now()
    assert "Choose when to snooze until" in response.text


def test_it_cancels_an_upcoming_message(owner_client, touch, email_step):
    message = touch(step=email_step, due_at=timezone.now() + dt.timedelta(days=1))
    response = owner_client.post(f"/touches/{message.public_id}/cancel/", follow=True)
    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert "be sent to Jamie Rivera" in response.text


def test_it_answers_htmx_with_the_swapped_card(owner_client, touch):
    touchpoint = touch()
    response = owner_client.post(f"/touches/{touchpoint.public_id}/done/",
                                 headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="touch-{touchpoint.public_id}"' in response.text
    assert "is done" in response.text


def test_it_says_so_when_the_touch_was_already_handled(owner_client, touch):
    touchpoint = touch(status=Status.DONE)
    response = owner_client.post(f"/touches/{touchpoint.public_id}/skip/", follow=True)
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DONE
    assert "already taken care of" in response.text


@pytest.mark.parametrize("action", ["done", "skip", "snooze", "cancel"])
def test_it_changes_nothing_on_get(owner_client, touch, action):
    touchpoint = touch()
    response = owner_client.get(f"/touches/{touchpoint.public_id}/{action}/")
    touchpoint.refresh_from_db()
    assert response.status_code == 405
    assert touchpoint.status == Status.PLANNED


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/today/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
