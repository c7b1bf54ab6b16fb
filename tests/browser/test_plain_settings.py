"""Settings in plain words, driven in Chromium at 390 and 1280 px (issue #15): the time zone
found by typing a place, business days ticked, hours from time pickers, Text messages with
"Send me a test text", a friendly wrong-password message, and the step editor's folded
fields. Nothing may be wider than the screen.

Twilio's API cannot be reached from here: the test text goes to a local HTTP server that
answers as Twilio does (tests/integrations/httpserver.py), through the real twilio client."""

import urllib.parse

import pytest

from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Business
from tests.browser.pages import sign_in
from tests.channels import test_sms_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [390, 1280]
fake_twilio = test_sms_settings.fake_twilio
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedcafe0123456789abcdef1234"


def open_page(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    return context, context.new_page()


def fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px"


@pytest.mark.parametrize("width", WIDTHS)
def test_it_sets_the_week_in_plain_words(live_server, browser, artifacts, business, owner,
                                         width):
    context, page = open_page(browser, width)
    sign_in(page, live_server.url, owner.username)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_label("Country").select_option("GB")
    zone = page.get_by_label("Time zone")
    assert zone.get_attribute("list") == "time-zone-places"
    assert page.locator("#time-zone-places option[value='Europe / London']").count() == 1
    zone.fill("London")
    page.get_by_label("Saturday").check()
    page.get_by_label("Monday").uncheck()
    assert page.get_by_label("Business hours start").get_attribute("type") == "time"
    page.get_by_label("Business hours start").fill("07:30")
    page.get_by_label("Phone").fill("020 7946 0999")
    fits(page, width)
    page.screenshot(path=str(artifacts / f"settings-business-{width}.png"), full_page=True)
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Saved.")
    assert page.get_by_label("Time zone").input_value() == "Europe / London"
    business.refresh_from_db()
    assert (business.timezone, business.business_days) == ("Europe/London", "23456")
    assert business.business_hours_start.strftime("%H:%M") == "07:30"
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_it_sets_up_texts_and_sends_a_test_text(live_server, browser, artifacts, business,
                                                owner, fake_twilio, width):
    from django.core.cache import cache

    cache.clear()
    context, page = open_page(browser, width)
    sign_in(page, live_server.url, owner.username)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="Text messages").click()
    page.get_by_label("Account SID").fill(SID)
    page.get_by_label("Auth token").fill(TOKEN)
    page.get_by_label("Sending number").fill("(500) 555-0006")
    page.get_by_role("button", name="Save text settings").click()
    page.wait_for_selector("text=Saved your text message settings.")
    assert "Saved, ends in …1234" in page.content()
    assert TOKEN not in page.content()
    page.get_by_label("Your mobile").fill("(212) 555-0123")
    page.get_by_role("button", name="Send me a test text").click()
    page.wait_for_selector("text=Sent. Twilio accepted the text to +12125550123")
    fits(page, width)
    page.screenshot(path=str(artifacts / f"settings-texts-{width}.png"), full_page=True)
    [request] = fake_twilio.requests
    assert urllib.parse.parse_qs(request["body"].decode())["To"] == ["+12125550123"]
    assert Business.objects.get().sms_from_number == "+15005550006"
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_it_answers_a_wrong_password_kindly(live_server, browser, owner, width):
    context, page = open_page(browser, width)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(owner.username)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=That email and password don't match.")
    fits(page, width)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_it_folds_the_step_editor_advanced_fields(live_server, browser, artifacts, business,
                                                  owner, width):
    step = install_builtin_playbooks(business)[0].steps.first()
    context, page = open_page(browser, width)
    sign_in(page, live_server.url, owner.username)
    page.goto(f"{live_server.url}/playbooks/steps/{step.public_id}/edit/")
    assert page.get_by_text("Which of the four moments with a customer").is_visible()
    assert page.get_by_label("Kind of message").is_visible()
    hours = page.get_by_label("Hours after")
    assert not hours.is_visible()
    summary = page.locator("details.advanced > summary")
    assert summary.is_visible() and "More options" in summary.inner_text()
    marker = page.evaluate("getComputedStyle(document.querySelector("
                           "'details.advanced > summary'), '::before').borderLeftWidth")
    assert marker != "0px"  # the triangle that says it opens
    summary.click()
    assert hours.is_visible()
    fits(page, width)
    page.screenshot(path=str(artifacts / f"step-editor-{width}.png"), full_page=True)
    context.close()
