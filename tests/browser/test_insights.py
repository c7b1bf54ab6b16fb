"""The Insights page in a real browser, on a phone and on a laptop: it fits the screen, its
charts are there with their titles, the follow-up figures speak plainly, and axe finds
nothing on it, moderate findings included."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.browser.pages import go_to, sign_in
from tests.conftest import make_member
from tests.insights.factories import customer, engagement, touch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def shop(business):
    install_builtin_playbooks(business)
    now = timezone.now()
    for n, (name, done) in enumerate([("Robin Lee", 5), ("Sam Okafor", 3), ("Ana Silva", 1)]):
        who = customer(business, name)
        eng = engagement(business, who, won=40 + n * 30, delivered=30 + n * 30)
        for element in v.POST_SERVICE_ELEMENTS[:done]:
            touch(eng, element, due=(now - eng.delivered_at).days - 2, stage=4)
        touch(eng, v.THANK_YOU, "skipped", stage=1, due=35 + n * 30)
    engagement(business, customer(business, "Quiet Quinn"), won=400)
    return business


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_it_shows_insights_on_a_phone_and_a_laptop(live_server, browser, artifacts, shop,
                                                   device):
    owner = make_member(shop, f"{device}@riverside.example", Membership.OWNER)
    viewport = VIEWPORTS[device]
    page = browser.new_context(viewport=viewport).new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        go_to(page, "Insights")
        page.wait_for_url("**/insights/")
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("img", name="Follow-up gaps by month").is_visible()
        assert page.locator(".stat-label", has_text="Follow-up gaps per job").is_visible()
        gaps = page.locator(".stat", has_text="Gaps in your playbooks")
        assert "Service job: none" in gaps.inner_text()
        assert page.get_by_role("img", name="What happened at each stage").is_visible()
        assert page.get_by_text("Quiet Quinn").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"insights is {width}px wide"
        page.screenshot(path=str(artifacts / f"{device}-insights.png"), full_page=True)
        found = [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
                 for v in Axe().run(page).response["violations"]]
        assert found == []
    finally:
        page.context.close()
