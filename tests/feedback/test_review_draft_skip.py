"""A review ask waiting for approval follows the same fair-review rules as a planned one:
skipping it after a low score takes a reason and is audited, and an edit cannot add a
reward or a condition (issue 12)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.agenda import services
from followthrough.feedback.models import SurveyResponse
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints.models import Status
from tests.feedback.conftest import make_touch


@pytest.fixture
def review_draft(engagement):
    due = timezone.now() + dt.timedelta(days=2)
    return make_touch(engagement, element=v.REVIEW, status=Status.DRAFT, sent=due)


@pytest.fixture
def detractor(engagement):
    return SurveyResponse.objects.create(
        business=engagement.business, customer=engagement.customer, engagement=engagement,
        nps=2, created_at=timezone.now() - dt.timedelta(days=1))


def test_it_refuses_to_skip_an_unhappy_customers_review_draft_without_a_reason(
        owner, review_draft, detractor):
    with pytest.raises(ValidationError) as error:
        services.skip_draft(review_draft, owner)
    assert "outcome_note" in error.value.message_dict
    review_draft.refresh_from_db()
    assert review_draft.status == Status.DRAFT
    assert not AuditEntry.objects.exists()


def test_it_skips_a_review_draft_with_a_reason_from_the_edit_page_and_audits_it(
        owner_client, owner, review_draft, detractor):
    url = reverse("touch_approve", args=[review_draft.public_id])
    owner_client.post(url, {"action": "skip", "outcome_note": "They asked for no more email"})
    review_draft.refresh_from_db()
    assert (review_draft.status, review_draft.outcome_note) == (
        Status.SKIPPED, "They asked for no more email")
    entry = AuditEntry.objects.get(action="review_ask.stop")
    assert entry.changes == {"status": ["draft", "skipped"], "after_low_score": True}


def test_it_refuses_an_edited_draft_that_offers_a_reward(owner, review_draft):
    with pytest.raises(ValidationError):
        services.approve(review_draft, "Thanks!", "Leave us a review and we'll take $25 off "
                                                  "your next visit: {{ review_link }}")
    review_draft.refresh_from_db()
    assert review_draft.status == Status.DRAFT
