"""Finding your way on a 390 px phone and a 1280 px laptop: the menu, the search box in
the header, and the customer picker on New sale."""

import os
from pathlib import Path

import pytest

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.browser.pages import sign_in
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
# The docs' screenshots are replaced only when asked, so a test run leaves the tree clean.
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_IMAGES") == "1"
WAIT = 30_000  # generous: a busy 2-core machine


@pytest.fixture
def shop(business):
    install_builtin_playbooks(business)
    Customer.objects.create(business=business, name="Maria Lopez",
                            email="maria.lopez@example.com", phone="+442079460958")
    Customer.objects.create(business=business, name="Mark Okafor", email="mark@example.com")
    Customer.objects.create(business=business, name="Sam Rivera", email="sam@example.com")
    return business


def open_page(browser, live_server, shop, device):
    owner = make_member(shop, f"{device}@riverside.example", Membership.OWNER)
    context = browser.new_context(viewport=VIEWPORTS[device], device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    sign_in(page, live_server.url, owner.username)
    return page


def fits(page, device):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[device]["width"], f"{page.url} is {width}px wide"


def test_it_opens_the_phone_menu_and_reaches_settings(live_server, browser, artifacts, shop):
    page = open_page(browser, live_server, shop, "phone")
    try:
        menu = page.get_by_role("button", name="Menu")
        settings_link = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Settings")
        assert menu.get_attribute("aria-expanded") == "false"
        assert not settings_link.is_visible()
        # One row: the name, the search box and the button.
        row = [page.get_by_role("link", name="Followthrough"), menu,
               page.get_by_role("searchbox", name="Search customers, jobs and promises")]
        middles = [box["y"] + box["height"] / 2 for box in (p.bounding_box() for p in row)]
        assert max(middles) - min(middles) < 8, f"more than one row: {middles}"
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        for name in ("Today", "Customers", "Jobs", "Playbooks", "Insights", "Settings"):
            link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
            assert link.is_visible(), name
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        assert page.get_by_role("button", name="Sign out").is_visible()
        fits(page, "phone")
        page.screenshot(path=str(artifacts / "phone-menu.png"))
        if UPDATE_DOCS:
            page.screenshot(path=str(DOCS_IMAGES / "phone-menu.png"))
        settings_link.click()
        page.wait_for_url("**/settings/")
        assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "false"
    finally:
        page.context.close()


def test_it_works_the_phone_menu_from_the_keyboard(live_server, browser, shop):
    page = open_page(browser, live_server, shop, "phone")
    try:
        menu = page.get_by_role("button", name="Menu")
        menu.focus()
        page.keyboard.press("Enter")
        assert menu.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        assert focused == "Today"
        page.keyboard.press("Escape")
        assert menu.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"
    finally:
        page.context.close()


def test_it_fits_the_top_bar_on_one_row_at_1280(live_server, browser, artifacts, shop):
    page = open_page(browser, live_server, shop, "laptop")
    try:
        assert not page.get_by_role("button", name="Menu").is_visible()
        parts = [page.get_by_role("link", name="Followthrough"),
                 page.get_by_role("searchbox", name="Search customers, jobs and promises"),
                 page.get_by_role("button", name=shop.name)]
        nav = page.get_by_role("navigation", name="Main")
        parts += [nav.get_by_role("link").nth(n) for n in range(nav.get_by_role("link").count())]
        boxes = [part.bounding_box() for part in parts]
        assert all(boxes), "every part of the top bar is shown"
        middles = [box["y"] + box["height"] / 2 for box in boxes]
        assert max(middles) - min(middles) < 8, f"more than one row: {middles}"
        assert max(box["x"] + box["width"] for box in boxes) <= 1280
        header = page.locator("header.topbar").bounding_box()
        assert header["height"] < 70, f"the top bar is {header['height']}px tall"
        # The account things open from the business's name.
        page.get_by_role("button", name=shop.name).click()
        page.get_by_role("link", name="Account").click()
        page.wait_for_url("**/account/")
    finally:
        page.context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_it_finds_a_customer_as_you_type_and_opens_them(live_server, browser, artifacts,
                                                        shop, device):
    page = open_page(browser, live_server, shop, device)
    try:
        box = page.get_by_role("searchbox", name="Search customers, jobs and promises")
        box.press_sequentially("mar", delay=60)
        results = page.locator("#site-search-results")
        hit = results.get_by_role("link", name="Maria Lopez")
        hit.wait_for()
        assert results.get_by_role("link", name="Mark Okafor").is_visible()
        assert results.get_by_text("Sam Rivera").count() == 0
        fits(page, device)
        page.screenshot(path=str(artifacts / f"{device}-search.png"))
        if UPDATE_DOCS and device == "phone":
            page.screenshot(path=str(DOCS_IMAGES / "search.png"))
        # From the keyboard: down into the answers, Enter to open.
        box.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_url("**/customers/*/")
        assert page.get_by_role("heading", name="Maria Lopez").is_visible()
    finally:
        page.context.close()


def test_it_shows_every_match_on_the_results_page(live_server, browser, shop):
    page = open_page(browser, live_server, shop, "phone")
    try:
        box = page.get_by_role("searchbox", name="Search customers, jobs and promises")
        box.fill("7946 0958")
        box.press("Enter")
        page.wait_for_url("**/search/?q=*")
        assert page.get_by_role("link", name="Maria Lopez").first.is_visible()
    finally:
        page.context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_it_picks_the_customer_of_a_new_sale(live_server, browser, artifacts, shop, device):
    page = open_page(browser, live_server, shop, device)
    try:
        page.goto(f"{live_server.url}/customers/sales/new/")
        picker = page.get_by_label("Customer", exact=True)
        picker.press_sequentially("lopez", delay=60)
        page.get_by_role("button", name="Maria Lopez").wait_for()
        page.screenshot(path=str(artifacts / f"{device}-sale-choices.png"))
        page.get_by_role("button", name="Maria Lopez").click()
        assert picker.input_value() == "Maria Lopez"
        assert page.get_by_text("Chosen: Maria Lopez (maria.lopez@example.com)").is_visible()
        fits(page, device)
        page.screenshot(path=str(artifacts / f"{device}-sale-picker.png"))
        page.get_by_label("Playbook").select_option(label="Service job")
        page.get_by_label("Description").fill("Boiler service")
        page.get_by_role("button", name="Save and plan the follow-up").click()
        page.wait_for_url("**/customers/engagements/**")
        job = Engagement.objects.get(business=shop)
        assert job.customer.name == "Maria Lopez" and job.description == "Boiler service"
    finally:
        page.context.close()


def test_it_picks_the_customer_of_a_promise_on_a_phone(live_server, browser, shop):
    page = open_page(browser, live_server, shop, "phone")
    try:
        page.goto(f"{live_server.url}/promises/")
        picker = page.get_by_label("To whom")
        picker.press_sequentially("okaf", delay=60)
        page.get_by_role("button", name="Mark Okafor").click()
        page.get_by_label("What you promised").fill("Bring the spare key")
        page.get_by_label("By when").fill("2030-01-31")
        fits(page, "phone")
        page.get_by_role("button", name="Save the promise").click()
        page.wait_for_url("**/promises/")
        assert page.get_by_text("Promise noted").is_visible()
        promise = Promise.objects.get(business=shop)
        assert promise.customer.name == "Mark Okafor" and promise.what == "Bring the spare key"
    finally:
        page.context.close()
