"""An empty page says what to do next, with the button that does it."""

import datetime as dt

from django.utils import timezone

from followthrough.agenda.models import Promise, ServiceInterval
from followthrough.customers.models import Engagement


def test_it_offers_a_new_job_when_today_is_caught_up(client, staff):
    client.force_login(staff)  # staff never see the owner's getting-started list
    text = client.get("/today/").text
    assert "You&#x27;re all caught up" in text or "You're all caught up" in text
    assert 'href="/customers/sales/new/">Record a sale or job' in text


def test_it_offers_a_new_job_or_a_promise_for_a_free_week(owner_client):
    text = owner_client.get("/week/").text
    assert "A free week." in text
    assert 'href="/customers/sales/new/">Record a sale or job' in text
    assert 'href="/promises/">Note a promise' in text


def test_it_points_to_the_form_when_there_are_no_promises(owner_client):
    text = owner_client.get("/promises/").text
    assert 'href="#note-promise">Note your first promise' in text
    assert 'id="note-promise"' in text


def test_it_congratulates_once_every_promise_is_settled(owner_client, business, customer):
    Promise.objects.create(business=business, customer=customer, what="Spare filters",
                           due_on=timezone.localdate(), status=Promise.KEPT)
    text = owner_client.get("/promises/").text
    assert "Every promise is settled" in text and "Note your first promise" not in text


def test_it_asks_for_a_reminder_first(owner_client):
    text = owner_client.get("/reminders/").text
    assert 'href="#interval-title">Save your first reminder' in text
    assert "No reminders running yet." in text


def test_it_asks_for_a_delivered_job_before_starting_reminders(owner_client, business,
                                                               customer):
    ServiceInterval.objects.create(business=business, name="Boiler service", every=12,
                                   lead_days=14)
    text = owner_client.get("/reminders/").text
    assert 'id="no-delivered-job"' in text and 'name="start_plan"' not in text
    Engagement.objects.create(business=business, customer=customer, kind="Job",
                              won_at=timezone.now() - dt.timedelta(days=3),
                              delivered_at=timezone.now())
    text = owner_client.get("/reminders/").text
    assert 'name="start_plan"' in text and 'href="#plan-title">Start reminders' in text


def test_it_sends_an_empty_card_list_back_to_today_or_the_week(owner_client):
    text = owner_client.get("/cards/").text
    assert "No cards waiting." in text
    assert 'href="/today/">Back to Today' in text
    assert 'href="/week/">See the week' in text
