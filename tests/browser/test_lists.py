"""The Jobs and Customers lists with the demo business, on a 390 px phone (stacked cards,
a folded filter panel, nothing wider than the screen) and at 1280 px (a table whose
headings sort)."""

import os
import shutil
from pathlib import Path

import pytest

from followthrough.demo.loader import OWNER_EMAIL, load_demo
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
# The docs' screenshot is replaced only when asked, so a test run leaves the tree clean.
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_IMAGES") == "1"
WAIT = 30_000  # generous: a busy 2-core machine


@pytest.fixture
def open_page(live_server, browser):
    _, password = load_demo()
    contexts = []

    def open_at(viewport, path):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT)
        sign_in(page, live_server.url, OWNER_EMAIL, password)
        page.goto(f"{live_server.url}{path}")
        return page

    yield open_at
    for context in contexts:
        context.close()


def fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide"


def shoot(page, artifacts, name, docs=False):
    page.screenshot(path=str(artifacts / name))
    if docs and UPDATE_DOCS:
        shutil.copyfile(artifacts / name, DOCS_IMAGES / name)


def test_it_stacks_jobs_as_cards_on_a_phone(open_page, artifacts):
    page = open_page(PHONE, "/jobs/")
    rows = page.locator("table.stack-table tbody tr")
    assert rows.count() > 1
    assert rows.first.evaluate("r => getComputedStyle(r).display") == "block"
    label = rows.first.locator('td[data-label="Gaps"]').evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert label == '"Gaps"'  # each cell names itself
    fits(page, PHONE["width"])
    shoot(page, artifacts, "jobs.png", docs=True)


def test_it_filters_jobs_from_the_folded_panel_on_a_phone(open_page):
    page = open_page(PHONE, "/jobs/")
    assert not page.get_by_label("Show").is_visible()
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Show").select_option("in_progress")
    page.get_by_role("button", name="Show jobs").click()
    page.wait_for_url("**status=in_progress**")
    assert page.locator('.sections a[aria-current="page"]').inner_text() == "In progress"
    fits(page, PHONE["width"])


def test_it_sorts_jobs_by_a_heading_at_desktop_width(open_page, artifacts):
    page = open_page(DESKTOP, "/jobs/")
    assert page.locator("table.stack-table tbody tr").first.evaluate(
        "r => getComputedStyle(r).display") == "table-row"
    page.get_by_role("link", name="Customer", exact=True).click()
    page.wait_for_url("**sort=customer**")
    names = page.locator("td.lead strong").all_inner_texts()
    assert names == sorted(names)
    fits(page, DESKTOP["width"])
    shoot(page, artifacts, "jobs-desktop.png")


def test_it_stacks_customers_as_cards_on_a_phone(open_page, artifacts):
    page = open_page(PHONE, "/customers/")
    rows = page.locator("table.stack-table tbody tr")
    assert rows.count() > 1
    assert rows.first.evaluate("r => getComputedStyle(r).display") == "block"
    fits(page, PHONE["width"])
    shoot(page, artifacts, "customers-phone.png")


def test_it_shows_customers_at_risk_from_its_link_on_a_phone(open_page):
    page = open_page(PHONE, "/customers/")
    page.get_by_role("link", name="At risk", exact=True).click()
    page.wait_for_url("**show=at_risk**")
    health = page.locator('td[data-label="Health"]').all_inner_texts()
    assert health and all(not text.strip().startswith("100") for text in health)
    fits(page, PHONE["width"])


def test_it_filters_customers_from_the_folded_panel_at_desktop_width(open_page, artifacts):
    page = open_page(DESKTOP, "/customers/")
    assert page.locator("table.stack-table tbody tr").first.evaluate(
        "r => getComputedStyle(r).display") == "table-row"
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Show").select_option("unhappy")
    page.get_by_label("Sort by").select_option("last_job")
    page.get_by_role("button", name="Show customers").click()
    page.wait_for_url("**show=unhappy**")
    assert page.locator('th[aria-sort="descending"]').inner_text().startswith("Last job")
    fits(page, DESKTOP["width"])
    shoot(page, artifacts, "customers-desktop.png")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_it_has_no_serious_accessibility_problems_with_filters_open(open_page, viewport):
    """axe-core, as in test_accessibility.py, on both lists with the panel open."""
    from tests.browser.test_accessibility import blocking_violations

    problems = {}
    for path in ("/jobs/?status=in_progress", "/customers/?show=at_risk&sort=health"):
        page = open_page(viewport, path)
        page.wait_for_load_state("networkidle")
        found = blocking_violations(page)
        if found:
            problems[path] = found
    assert not problems, problems
