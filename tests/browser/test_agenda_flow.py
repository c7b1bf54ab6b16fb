"""The agenda on a phone: Today with a call, a batch of cards marked as posted, and the
calendar feed opened from Settings."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Status, Touchpoint
from tests.browser.pages import sign_in
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def planned(business, name, channel, n):
    customer = Customer.objects.create(
        business=business, name=name, email=f"c{n}@example.com", phone="+15185550142",
        postal_address="4 Elm Street\nHudson, NY 12534", defining_moment="Quick to reply.",
    )
    engagement = Engagement.objects.create(business=business, customer=customer,
                                           description="Kitchen tap",
                                           won_at=timezone.now() - dt.timedelta(days=2))
    due = timezone.now() - dt.timedelta(minutes=5)
    local = due.astimezone(business.zone)
    return Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, step=None,
        idempotency_key=f"browser:{n}", name="Thank-you " + kinds.LABELS[channel].lower(),
        channel=channel, stage=1, element=v.THANK_YOU, purpose=v.RELATIONSHIP,
        status=Status.PLANNED, due_at=due, local_date=local.date(), local_time=local.time(),
    )


def shot(page, artifacts, label):
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"
    page.screenshot(path=str(artifacts / f"agenda-{label}.png"), full_page=True)


def test_it_posts_a_card_batch_and_opens_the_calendar_feed(live_server, browser, artifacts,
                                                            business):
    owner = make_member(business, "agenda@riverside.example", Membership.OWNER)
    planned(business, "Robin Lee", kinds.CALL, 1)
    cards = [planned(business, name, kinds.CARD, n)
             for n, name in enumerate(["Ada Park", "Ben Ortiz"], start=2)]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        assert page.get_by_text("Robin Lee").first.is_visible()
        shot(page, artifacts, "1-today")

        page.get_by_role("link", name="Cards to write").click()
        page.get_by_role("button", name="Make a batch of 2 cards").click()
        page.wait_for_url("**/cards/*/")
        shot(page, artifacts, "2-batch")
        page.get_by_role("button", name="Mark as posted").click()
        assert page.get_by_text("Posted: 2 cards marked done").is_visible()
        shot(page, artifacts, "3-posted")
        for card in cards:
            card.refresh_from_db()
            assert card.status == Status.DONE

        page.goto(f"{live_server.url}/week/")
        shot(page, artifacts, "4-week")

        page.goto(f"{live_server.url}/settings/calendar/")
        page.get_by_role("button", name="Create my calendar link").click()
        feed_url = page.get_by_label("Your private link").input_value()
        assert "/cal/" in feed_url and feed_url.endswith(".ics")
        shot(page, artifacts, "5-calendar")
        response = page.request.get(feed_url)
        assert response.status == 200
        assert "BEGIN:VEVENT" in response.text()
        assert "Robin Lee" in response.text()
    finally:
        context.close()
