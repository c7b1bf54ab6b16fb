"""A customer answers the survey on a phone with a low score; the owner sees the recovery
call at the top of Today."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Touchpoint
from tests.browser.pages import sign_in
from tests.browser.test_sale_flow import visit
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def survey_touch(business):
    now = timezone.now()
    customer = Customer.objects.create(business=business, name="Robin Lee",
                                       email="robin@example.com", phone="+15185550199")
    engagement = Engagement.objects.create(
        business=business, customer=customer, kind="Job", description="the kitchen tap",
        won_at=now - dt.timedelta(days=9), delivered_at=now - dt.timedelta(days=5))
    sent = now - dt.timedelta(hours=2)
    return Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, name="How did we do?",
        idempotency_key="browser-survey", channel="email", stage=4, element="feedback",
        purpose="relationship", status="sent", due_at=sent, completed_at=sent,
        local_date=sent.date(), local_time=dt.time(11, 0))


def test_it_turns_a_low_score_into_a_recovery_call_on_today(live_server, browser, artifacts,
                                                            business, survey_touch):
    owner = make_member(business, "owner@riverside.example", Membership.OWNER)
    customer_side = browser.new_context(viewport=PHONE)
    page = customer_side.new_page()
    page.goto(f"{live_server.url}/s/{survey_touch.link_token}?nps=2")
    assert page.locator("input[name=nps][value='2']").is_checked()
    assert page.locator("header .brand").inner_text() == business.name
    assert page.get_by_role("link", name="Followthrough").count() == 0  # no app navigation
    visit(page, 390, artifacts, "feedback-1-survey")
    page.get_by_label("What could we improve").fill("The tap drips and nobody called back.")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    visit(page, 390, artifacts, "feedback-2-thanks")
    customer_side.close()

    owner_side = browser.new_context(viewport=PHONE)
    page = owner_side.new_page()
    sign_in(page, live_server.url, owner.username)
    first = page.locator("article.touch").first
    assert "Recovery call" in first.inner_text()
    assert "Robin Lee" in first.inner_text()
    visit(page, 390, artifacts, "feedback-3-today")
    for path, label in (("/feedback/", "4-list"), ("/feedback/incidents/", "5-incidents"),
                        ("/settings/reviews/", "6-settings")):
        page.goto(live_server.url + path)
        visit(page, 390, artifacts, f"feedback-{label}")
    owner_side.close()
