"""The emails as people see them, on a phone: the survey email in the layout at 390 px
(no sideways scrolling, eleven tappable buttons in one row), and "Send me a test" from a
step's preview to the Outbox."""

import pytest

from followthrough.channels import mailqueue
from followthrough.channels.layout import Brand, email_html
from followthrough.channels.rendering import (
    SAMPLE_CONTEXT,
    render_subject,
    render_text,
    text_to_html,
)
from followthrough.playbooks.library import SERVICE_JOB, install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.browser.pages import sign_in
from tests.browser.test_sale_flow import assert_no_overflow, visit
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def survey_email() -> str:
    [step] = [s for s in SERVICE_JOB["steps"] if s["name"] == "How did we do?"]
    context = dict(SAMPLE_CONTEXT, customer_first_name="Robin", business_name="Riverside "
                   "Plumbing & Heating", sender_name="Sam at Riverside")
    text = render_text(step["body"], context)
    brand = Brand(name="Riverside Plumbing & Heating", colour="#0b5d3b",
                  website="https://riverside.example", domain="riverside.example")
    return email_html(text_to_html(text), brand, subject=render_subject(step["subject"],
                                                                        context),
                      text=text, postal_address="12 Mill Lane\nHudson, NY 12534",
                      unsubscribe_url="https://follow.example/u/sample")


def test_it_shows_the_survey_email_on_a_phone_with_a_row_of_buttons(browser, artifacts):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.set_content(survey_email())
        assert_no_overflow(page, 390)
        buttons = page.locator("a.score-link")
        assert buttons.count() == 11
        boxes = [buttons.nth(i).bounding_box() for i in range(11)]
        assert len({round(box["y"]) for box in boxes}) == 1  # one row
        assert all(box["height"] >= 40 and box["width"] >= 24 for box in boxes)
        assert [buttons.nth(i).inner_text() for i in range(11)] == [str(n) for n in range(11)]
        page.screenshot(path=str(artifacts / "survey-email.png"), full_page=True)
    finally:
        context.close()


def test_it_sends_a_step_to_me_as_a_test_and_shows_it_in_the_outbox(live_server, browser,
                                                                     artifacts, business,
                                                                     settings):
    settings.EMAIL_BACKEND = "followthrough.channels.outbox.OutboxEmailBackend"
    settings.OUTBOX_ENABLED = True
    owner = make_member(business, "owner@riverside.example", Membership.OWNER)
    step = install_builtin_playbooks(business)[0].steps.get(name="How did we do?")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        page.goto(f"{live_server.url}/playbooks/steps/{step.public_id}/preview/")
        preview = page.frame_locator("iframe.mail-frame")
        assert preview.locator("a.score-link").count() == 11
        visit(page, 390, artifacts, "email-0-step-preview")
        page.get_by_role("button", name="Send me a test").click()
        page.get_by_text(f"Sent a test to {owner.email}").wait_for(timeout=30_000)
        visit(page, 390, artifacts, "email-1-step-test-sent")
        assert mailqueue.deliver_due()["sent"] == 1  # the worker's next pass

        page.goto(f"{live_server.url}/outbox/")
        page.get_by_role("link", name="[Test] Two minutes to tell us how we did?").click()
        frame = page.frame_locator("iframe.mail-frame")
        assert frame.locator("a.score-link").count() == 11
        visit(page, 390, artifacts, "email-2-outbox-test")
    finally:
        context.close()


def test_it_sets_the_email_brand_in_settings_on_a_phone(live_server, browser, artifacts,
                                                        business):
    owner = make_member(business, "owner@riverside.example", Membership.OWNER)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        page.goto(f"{live_server.url}/settings/")
        page.get_by_label("Logo address").fill("https://riverside.example/logo.png")
        page.get_by_label("Brand colour").fill("#f5e050")  # too light for white text
        page.get_by_role("button", name="Save settings").click()
        page.get_by_text("White text on #f5e050 is hard to read").wait_for(timeout=30_000)
        visit(page, 390, artifacts, "email-3-brand-refused")
        page.get_by_label("Brand colour").fill("#0b5d3b")
        page.get_by_role("button", name="Save settings").click()
        page.get_by_text("Saved.").wait_for(timeout=30_000)
        business.refresh_from_db()
        assert (business.logo_url, business.brand_colour) == (
            "https://riverside.example/logo.png", "#0b5d3b")
    finally:
        context.close()
