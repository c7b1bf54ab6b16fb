import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.feedback.clicks import is_scanner
from followthrough.feedback.models import ReviewClick
from followthrough.feedback.services import settings_for
from tests.feedback.conftest import make_touch

PERSON = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"


@pytest.fixture
def review_touch(business, engagement):
    links = settings_for(business)
    links.google_review_url = "https://g.page/r/riverside/review"
    links.yelp_review_url = "https://yelp.example/riverside"
    links.save()
    return make_touch(engagement, element=v.REVIEW,
                      sent=timezone.now() - dt.timedelta(minutes=10))


@pytest.mark.parametrize(("agent", "headers", "scanner"), [
    (PERSON, {}, False),
    ("Microsoft Office/16.0 (SafeLinks)", {}, True),
    ("Mozilla/5.0 Mimecast", {}, True),
    ("Barracuda Sentinel", {}, True),
    ("Google-Safety", {}, True),
    ("Googlebot/2.1", {}, True),
    (PERSON, {"HTTP_PURPOSE": "prefetch"}, True),
    (PERSON, {"HTTP_SEC_PURPOSE": "prefetch;prerender"}, True),
    ("", {}, True),
])
def test_it_tells_scanners_from_people(agent, headers, scanner):
    request = RequestFactory().get("/r/x", HTTP_USER_AGENT=agent, **headers)
    assert is_scanner(request) is scanner


def test_it_treats_a_click_within_two_seconds_of_the_send_as_a_scanner():
    request = RequestFactory().get("/r/x", HTTP_USER_AGENT=PERSON)
    now = timezone.now()
    assert is_scanner(request, sent_at=now - dt.timedelta(seconds=1), now=now)


def test_it_redirects_and_counts_a_person_per_link(client, review_touch):
    response = client.get(f"/r/{review_touch.link_token}/google", HTTP_USER_AGENT=PERSON)
    assert response.status_code == 302
    assert response.url == "https://g.page/r/riverside/review"
    assert list(ReviewClick.objects.values_list("site", flat=True)) == ["google"]


def test_it_offers_a_choice_when_there_are_several_review_sites(client, review_touch):
    response = client.get(f"/r/{review_touch.link_token}", HTTP_USER_AGENT=PERSON)
    assert response.status_code == 200
    assert b"Google" in response.content and b"Yelp" in response.content


def test_it_does_not_count_head_or_a_scanner(client, review_touch):
    client.head(f"/r/{review_touch.link_token}/google", HTTP_USER_AGENT=PERSON)
    response = client.get(f"/r/{review_touch.link_token}/google", HTTP_USER_AGENT="Proofpoint")
    assert response.status_code == 302
    assert not ReviewClick.objects.exists()


def test_it_answers_404_for_a_forged_review_token(client, db):
    assert client.get("/r/forged-token", HTTP_USER_AGENT=PERSON).status_code == 404
