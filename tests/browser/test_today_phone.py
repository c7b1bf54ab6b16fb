"""Today on a 390 px phone with the demo business: the order, approving safely, and undo
of Done, Skip, Approve and Resolve."""

import os
import shutil
from pathlib import Path

import pytest

from followthrough.demo.loader import OWNER_EMAIL, load_demo
from followthrough.feedback.models import Incident
from followthrough.touchpoints.models import Origin, Status, Touchpoint
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "today-phone.png"
# The docs' screenshot is replaced only when asked, so a test run leaves the tree clean.
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_IMAGES") == "1"
WAIT = 30_000  # generous: a busy 2-core machine


@pytest.fixture(autouse=True)
def long_window(settings):
    # The server decides the window; a long one keeps the test free of timing.
    settings.UNDO_SECONDS = 3600


@pytest.fixture
def page(live_server, browser):
    _, password = load_demo()
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    sign_in(page, live_server.url, OWNER_EMAIL, password)
    yield page
    context.close()


def _words(locator):
    return " ".join(locator.inner_text().split())


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def test_it_shows_the_first_personal_touch_without_scrolling(page, artifacts):
    first = page.locator("article.touch").first
    box = first.bounding_box()
    assert box is not None and 0 <= box["y"] < PHONE["height"]
    assert "Recovery call" in first.inner_text()
    _fits(page)
    page.screenshot(path=str(artifacts / "today-phone.png"))
    page.screenshot(path=str(artifacts / "today-phone-full.png"), full_page=True)
    if UPDATE_DOCS:
        shutil.copyfile(artifacts / "today-phone.png", DOCS_IMAGE)


def test_it_keeps_the_order_recovery_promises_touches_approvals_rest(page):
    tops = [page.locator(selector).first.bounding_box()["y"] for selector in (
        "#recovery-title", "#overdue-title", "#personal-title", "#approve-title",
        "#rest-title")]
    assert tops == sorted(tops)
    assert page.locator("#approve-title").inner_text().startswith("To approve (")


def test_it_refuses_a_draft_with_placeholders_then_approves_it_filled_in(page):
    draft = page.locator(".compact-list a").first
    draft.click()
    page.wait_for_url("**/approve/")
    body = page.get_by_label("Message")
    assert "[" in body.input_value()
    page.get_by_role("button", name="Save and approve").click()
    error = page.get_by_text("before approving", exact=False).first
    error.wait_for()
    assert "“" in error.inner_text()  # the line to fill in, quoted
    _fits(page)
    filled = "\n".join(line for line in body.input_value().splitlines() if "[" not in line)
    body.fill(filled + "\nThe new pipes are in; the tiler comes on Thursday.")
    page.get_by_role("button", name="Save and approve").click()
    page.wait_for_url("**/today/")
    page.get_by_text("Approved with your changes").wait_for()
    assert Touchpoint.objects.filter(status=Status.PLANNED,
                                     rendered_body__contains="tiler comes").count() == 1

    page.locator("#undo-bar").get_by_role("button", name="Undo").click()
    page.get_by_text("waiting for your approval again").wait_for()
    assert Touchpoint.objects.get(rendered_body__contains="tiler comes").status == Status.DRAFT


def test_it_undoes_done_on_a_card(page):
    card = page.locator("article.touch").first
    card_id = card.get_attribute("id")
    card.get_by_role("button", name="Done").click()
    result = page.locator(f"#{card_id}")
    result.get_by_text("Nice work").wait_for()
    assert "Done · Undo" in _words(result)
    _fits(page)
    result.get_by_role("button", name="Undo").click()
    page.locator(f"#{card_id}").get_by_text("back on your list").wait_for()
    touch = Touchpoint.objects.get(public_id=card_id.removeprefix("touch-"))
    assert touch.status == Status.PLANNED
    assert page.locator(f"#{card_id}").get_by_role("button", name="Done").is_visible()


def test_it_undoes_a_skip_on_a_card(page):
    card = page.locator("section[aria-labelledby=personal-title] article.touch").first
    card_id = card.get_attribute("id")
    card.get_by_label("How did it go? (optional)").fill("They moved away")
    card.get_by_role("button", name="Not possible").click()
    result = page.locator(f"#{card_id}")
    result.get_by_text("won't happen").wait_for()
    assert "Skipped · Undo" in _words(result)
    result.get_by_role("button", name="Undo").click()
    page.locator(f"#{card_id}").get_by_text("back on your list").wait_for()
    assert Touchpoint.objects.get(public_id=card_id.removeprefix("touch-")).status == \
        Status.PLANNED


def test_it_undoes_resolving_an_incident(page, live_server):
    incident = Incident.objects.get(resolved_at=None)
    page.goto(f"{live_server.url}/feedback/incidents/")
    item = page.locator(f"#incident-{incident.public_id}")
    item.get_by_label("What did you do to put it right?").fill("Came back, fixed it free.")
    item.get_by_role("button", name="Mark resolved").click()
    item = page.locator(f"#incident-{incident.public_id}")
    item.get_by_text("Resolved.").wait_for()
    assert "Resolved · Undo" in _words(item)
    _fits(page)
    item.get_by_role("button", name="Undo").click()
    page.locator(f"#incident-{incident.public_id}").get_by_text("open again").wait_for()
    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert Touchpoint.objects.filter(origin=Origin.INCIDENT_RECOVERY).exists()
