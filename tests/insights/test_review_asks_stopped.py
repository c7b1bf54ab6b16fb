"""Insights counts the review asks stopped after a low score, with the reasons given."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.feedback.models import SurveyResponse
from followthrough.insights import metrics as m
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Status
from tests.insights import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def engagement(business):
    return f.engagement(business, f.customer(business, "Jamie O'Brien"), delivered=5)


@pytest.fixture
def review_ask(engagement):
    ask = f.touch(engagement, v.REVIEW, Status.PLANNED)
    ask.due_at = timezone.now() + dt.timedelta(days=2)
    ask.save(update_fields=["due_at"])
    return ask


def score(engagement, nps):
    SurveyResponse.objects.create(business=engagement.business, customer=engagement.customer,
                                  engagement=engagement, nps=nps)


def test_it_counts_review_asks_cancelled_after_a_low_score(owner, engagement, review_ask):
    score(engagement, 4)
    services.cancel_touch(review_ask, owner, "Asked us to leave them alone")
    found = m.review_asks_stopped(engagement.business, m.period("30"))
    assert found["count"] == 1
    row = found["rows"][0]
    assert (row["customer"], row["reason"], row["by"]) == (
        "Jamie O'Brien", "Asked us to leave them alone", "owner@riverside.example")


def test_it_leaves_out_happy_customers_and_other_businesses(owner, outsider, engagement,
                                                            review_ask, other_business):
    score(engagement, 10)
    services.cancel_touch(review_ask, owner)
    assert m.review_asks_stopped(engagement.business, m.period("30"))["count"] == 0
    assert m.review_asks_stopped(other_business, m.period("30"))["count"] == 0


def test_it_shows_the_count_and_reasons_on_the_page(owner_client, engagement, review_ask):
    score(engagement, 2)
    services.skip_touch(review_ask, None, "<b>Moved abroad</b>")
    page = owner_client.get("/insights/").content.decode()
    assert "Review asks cancelled after a low score: 1" in page
    assert "&lt;b&gt;Moved abroad&lt;/b&gt;" in page
    assert "Skipped a review ask after a low score" in page


def test_it_says_so_when_none_were_stopped(owner_client, business):
    page = owner_client.get("/insights/").content.decode()
    assert "Review asks cancelled after a low score: 0" in page
