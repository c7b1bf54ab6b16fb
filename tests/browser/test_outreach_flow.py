"""Stage 2 on a phone: plan a visit from the year plan and share a piece of news."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Touchpoint
from tests.browser.pages import sign_in
from tests.browser.test_agenda_flow import PHONE, shot
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def newcomer(business, name, address, tags=""):
    customer = Customer.objects.create(business=business, name=name, postal_address=address,
                                       email=f"{name.split()[0].lower()}@example.com",
                                       tags=tags)
    Engagement.objects.create(business=business, customer=customer, kind="Job",
                              won_at=timezone.now() - dt.timedelta(days=35))
    return customer


def test_it_plans_a_visit_and_shares_news_on_a_phone(live_server, browser, artifacts,
                                                     business):
    owner = make_member(business, "visits@riverside.example", Membership.OWNER)
    newcomer(business, "Ada Park", "4 Elm Street\nHudson, NY 12534", tags="landlord")
    newcomer(business, "Ben Ortiz", "9 Oak Road\nCatskill, NY 12414", tags="landlord")
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, live_server.url, owner.username)

    page.get_by_role("link", name="Visits").click()
    shot(page, artifacts, "5-visits")
    page.get_by_role("button", name="Plan a visit").first.click()
    assert page.get_by_text("planned for").first.is_visible()
    shot(page, artifacts, "6-visit-planned")
    assert Touchpoint.objects.filter(channel="visit").count() == 1

    page.goto(f"{live_server.url}/news/")
    page.get_by_label("Send to customers tagged").select_option("landlord")
    page.get_by_label("Link").fill("https://example.com/rules")
    page.get_by_label("Your note").fill("New rules for landlords: this sums them up.")
    shot(page, artifacts, "7-news")
    page.get_by_role("button", name="Share it").click()
    page.wait_for_url("**/today/")
    assert page.get_by_text("Shared with 2 customers").is_visible()
    page.goto(f"{live_server.url}/settings/")
    shot(page, artifacts, "8-settings")
