"""Stopping an unhappy customer's review ask takes a reason and is audited (issue 12: one
click cancelled it, and nothing was written down). Web, service and API share one rule."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.api.models import ApiKey
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Status
from tests.api.conftest import JsonClient
from tests.feedback.conftest import make_touch


def answered(engagement, nps, days_ago=1):
    return SurveyResponse.objects.create(
        business=engagement.business, customer=engagement.customer, engagement=engagement,
        nps=nps, created_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture
def review_ask(engagement):
    due = timezone.now() + dt.timedelta(days=2)
    return make_touch(engagement, element=v.REVIEW, status=Status.PLANNED, sent=due)


@pytest.fixture
def detractor(engagement):
    return answered(engagement, 3)


def test_it_refuses_to_cancel_an_unhappy_customers_review_ask_without_a_reason(
        owner, review_ask, detractor):
    with pytest.raises(ValidationError) as error:
        services.cancel_touch(review_ask, owner)
    assert "their latest recommend score was 3" in error.value.message_dict["outcome_note"][0]
    review_ask.refresh_from_db()
    assert review_ask.status == Status.PLANNED
    assert not AuditEntry.objects.exists()


def test_it_counts_an_open_incident_as_unhappy(owner, engagement, review_ask):
    answered(engagement, 10)
    Incident.objects.create(business=engagement.business, customer=engagement.customer,
                            reason=Incident.COMPLAINT)
    with pytest.raises(ValidationError):
        services.skip_touch(review_ask, owner, "  ")


def test_it_reads_only_the_latest_score(owner, engagement, review_ask):
    answered(engagement, 2, days_ago=30)
    answered(engagement, 9, days_ago=1)
    services.cancel_touch(review_ask, owner)
    assert AuditEntry.objects.get().changes["after_low_score"] is False


def test_it_cancels_with_a_reason_and_audits_it(owner, review_ask, detractor):
    services.cancel_touch(review_ask, owner, "They asked us not to email them again")
    review_ask.refresh_from_db()
    assert (review_ask.status, review_ask.outcome_note) == (
        Status.CANCELLED, "They asked us not to email them again")
    entry = AuditEntry.objects.get(action=services.REVIEW_ASK_STOPPED)
    assert (entry.actor, entry.target_id) == (owner, review_ask.public_id)
    assert entry.changes == {"status": ["planned", "cancelled"], "after_low_score": True}
    assert entry.summary == "Cancelled a review ask after a low score"
    assert "email them" not in str(entry.changes)  # the reason stays with the touchpoint


def test_it_lets_a_happy_customers_review_ask_go_without_a_reason(owner, engagement,
                                                                  review_ask):
    answered(engagement, 9)
    services.cancel_touch(review_ask, owner)
    review_ask.refresh_from_db()
    assert review_ask.status == Status.CANCELLED
    assert AuditEntry.objects.get().changes["after_low_score"] is False


def test_it_leaves_other_touches_alone(owner, engagement, detractor):
    thanks = make_touch(engagement, element=v.THANK_YOU, status=Status.PLANNED,
                        sent=timezone.now() + dt.timedelta(days=1))
    services.cancel_touch(thanks, owner)
    assert not AuditEntry.objects.exists()


def test_it_asks_for_a_reason_from_the_cancel_button(owner_client, review_ask, detractor):
    response = owner_client.post(f"/touches/{review_ask.public_id}/cancel/",
                                 headers={"HX-Request": "true"})
    assert b"Say why you&#x27;re stopping this review ask" in response.content
    review_ask.refresh_from_db()
    assert review_ask.status == Status.PLANNED


def test_it_takes_the_reason_from_the_cancel_button(owner_client, review_ask, detractor):
    owner_client.post(f"/touches/{review_ask.public_id}/cancel/",
                      {"outcome_note": "Sold the house and moved away"})
    review_ask.refresh_from_db()
    assert (review_ask.status, review_ask.outcome_note) == (
        Status.CANCELLED, "Sold the house and moved away")
    assert AuditEntry.objects.get().ip == "127.0.0.1"


def test_it_asks_for_a_reason_from_the_skip_button(client, staff, review_ask, detractor):
    client.force_login(staff)
    client.post(f"/touches/{review_ask.public_id}/skip/", {"outcome_note": ""})
    review_ask.refresh_from_db()
    assert review_ask.status == Status.PLANNED


def test_it_answers_the_api_with_422_naming_the_note(client, business, review_ask, detractor):
    api = JsonClient(client, ApiKey.issue(business, "Tests")[1])
    response = api.post(f"/touchpoints/{review_ask.public_id}/skip", {})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "note"
    response = api.post(f"/touchpoints/{review_ask.public_id}/skip", {"note": "Duplicate"})
    assert response.json()["status"] == "skipped"
    assert AuditEntry.objects.get(action=services.REVIEW_ASK_STOPPED).actor_label == (
        "API key Tests")


def test_it_offers_a_reason_field_on_upcoming_review_asks(owner_client, review_ask):
    from django.template.loader import render_to_string

    html = render_to_string("touchpoints/_upcoming_item.html", {"touch": review_ask})
    assert 'name="outcome_note"' in html
