"""The first day: a new business's owner lands on Today's getting-started list and ticks it
off by doing each thing for real; then the week at 390 and 1280 px, and Today at both."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from followthrough.demo.loader import OWNER_EMAIL, load_demo
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.browser.pages import sign_in
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "images"
# The docs' screenshots are replaced only when asked, so a test run leaves the tree clean.
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_IMAGES") == "1"
WAIT = 30_000  # a limit for a busy 2-core machine, not a timing
CSV = b"Name,Email\nAda Lovelace,ada@example.com\nBob Builder,bob@example.com\n"


def _fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px"


def _shot(page, artifacts, name, docs=None, full_page=False):
    page.screenshot(path=str(artifacts / name), full_page=full_page)
    if UPDATE_DOCS and docs:
        shutil.copyfile(artifacts / name, DOCS / docs)


def _ticked(page, key):
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/today/")
    return "is-done" in (page.locator(f"#checklist-{key}").get_attribute("class") or "")


def _save(page, field):
    page.locator(f"form:has({field}) button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


@pytest.fixture
def new_business(business):
    business.postal_address = ""
    business.business_days = "1234567"
    business.save()
    install_builtin_playbooks(business)
    return business


@pytest.fixture
def phone(browser, live_server, new_business):
    owner = make_member(new_business, "first-day@riverside.example", Membership.OWNER)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    sign_in(page, live_server.url, owner.username)
    yield page
    context.close()


def test_it_ticks_the_list_off_as_the_owner_does_each_thing(phone, live_server, artifacts,
                                                            import_worker, tmp_path):
    page, base = phone, live_server.url
    checklist = page.locator("#checklist")
    assert "Getting started: 0 of 7 done" in checklist.inner_text()
    assert page.get_by_text("You're all caught up").count() == 0
    _fits(page, PHONE["width"])

    # 1. The postal address the law needs, in Settings.
    checklist.get_by_role("link", name="Your name, email and postal address").click()
    page.wait_for_url("**/settings/")
    page.locator("#id_postal_address").fill("12 Mill Lane, Hudson, NY 12534")
    _save(page, "#id_postal_address")
    assert _ticked(page, "sender")

    # 2. A review link.
    page.locator("#checklist").get_by_role("link", name="Your review links").click()
    page.wait_for_url("**/settings/reviews/")
    page.locator("#id_google_review_url").fill("https://g.page/r/riverside/review")
    _save(page, "#id_google_review_url")
    assert _ticked(page, "reviews")

    # 3. A logo.
    page.goto(f"{base}/settings/")
    page.locator("#id_logo_url").fill("https://riverside.example/logo.png")
    _save(page, "#id_logo_url")
    assert _ticked(page, "brand")
    page.locator("#checklist").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('checklist').scrollIntoView()")
    _shot(page, artifacts, "checklist-phone.png", docs="checklist.png")

    # 4. An import of customers, read and run by the worker's import share.
    path = tmp_path / "customers.csv"
    path.write_bytes(CSV)
    page.locator("#checklist").get_by_role("link", name="Import your customers").click()
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url("**/integrations/import/*/")
    page.get_by_role("button", name="Import 2 rows").click()
    page.get_by_text("2 customers added").wait_for()
    assert _ticked(page, "customers")

    # 5. The first job.
    page.locator("#checklist").get_by_role("link", name="Record your first job").click()
    page.get_by_label("New customer's name").fill("Robin Lee")
    page.get_by_label("New customer's email").fill("robin@example.com")
    page.get_by_label("Description").fill("Replaced the kitchen tap")
    page.get_by_label("Playbook").select_option(label="Service job")
    won = timezone.localtime(timezone.now() - dt.timedelta(days=1))
    page.get_by_label("Won").fill(won.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save and plan the follow-up").click()
    page.wait_for_url("**/customers/engagements/**")
    assert _ticked(page, "job")

    # 6. A calendar app fetches the link.
    page.goto(f"{base}/settings/calendar/")
    page.get_by_role("button", name="Create my calendar link").click()
    feed = page.get_by_label("Your private link").input_value()
    assert page.request.get(feed).status == 200
    assert _ticked(page, "calendar")

    # 7. An invitation to the team.
    page.goto(f"{base}/settings/members/")
    page.fill("#id_email", "pat@riverside.example")
    page.click("text=Send invitation")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/today/")
    assert page.locator("#checklist").count() == 0  # all seven done: it hides itself
    _fits(page, PHONE["width"])


def test_it_hides_when_the_owner_asks(phone, artifacts):
    phone.locator("#checklist").get_by_role("button", name="Hide this list").click()
    phone.wait_for_url("**/today/")
    assert phone.locator("#checklist").count() == 0
    phone.reload()
    assert phone.locator("#checklist").count() == 0


@pytest.fixture(params=[PHONE, LAPTOP], ids=["phone", "laptop"])
def demo_page(request, browser, live_server):
    """The demo owner, signed in, at 390 and then at 1280 px."""
    _, password = load_demo()
    context = browser.new_context(viewport=request.param)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    sign_in(page, live_server.url, OWNER_EMAIL, password)
    yield page, request.param
    context.close()


def test_it_shows_the_week_as_days(demo_page, live_server, artifacts):
    page, viewport = demo_page
    page.goto(f"{live_server.url}/week/?who=everyone")
    days = page.locator("section.week-day")
    assert days.count() == 7
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    if viewport is LAPTOP:  # side by side, in one row
        assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]
        assert days.nth(6).bounding_box()["x"] + first["width"] <= LAPTOP["width"]
    else:  # one under the other
        assert abs(first["x"] - second["x"]) < 2 and second["y"] > first["y"]
    assert page.locator(".week-row").count() > 0
    _fits(page, viewport["width"])
    name = "week-wide.png" if viewport is LAPTOP else "week-phone.png"
    _shot(page, artifacts, name, docs=name, full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, f"the week is {height}px tall"


def test_it_fits_today_at_both_widths(demo_page, artifacts):
    page, viewport = demo_page
    first = page.locator("article.touch").first.bounding_box()
    assert first is not None and first["y"] < viewport["height"]
    _fits(page, viewport["width"])
    name = "today-phone.png" if viewport is PHONE else "today-laptop.png"
    _shot(page, artifacts, f"getting-started-{name}")
