"""On a phone: a customer's text shows in their conversation and as "Reply to …" on
Today; the owner answers it from the customer page. Playwright drives Debian's Chromium
(tests/browser/conftest.py)."""

import pytest
from django.utils import timezone

from followthrough.conversations import services
from followthrough.conversations.matching import Match
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Touchpoint
from tests.browser.pages import sign_in
from tests.browser.test_sale_flow import visit
from tests.conftest import make_member
from tests.conversations import conftest as conversation_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The conversation app's own fixtures; the browser comes from this folder's conftest (one
# Playwright per test session: a second one inside the first's event loop fails).
ada, job = conversation_fixtures.ada, conversation_fixtures.job


def test_it_shows_a_text_and_answers_it_from_a_phone(live_server, browser, artifacts,
                                                     business, ada, job):
    owner = make_member(business, "owner@riverside.example", Membership.OWNER)
    services.receive(services.Incoming(
        channel="sms", sender=ada.phone, body="Can you come on Friday instead? <b>Thanks</b>",
        received_at=timezone.now()), Match(business, ada))
    services.receive(services.Incoming(
        channel="sms", sender="+12125550199", body="Hi, is this the plumber?",
        received_at=timezone.now()), Match(business))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        assert "Reply to Ada Lovelace" in page.locator("article.touch").first.inner_text()

        page.goto(f"{live_server.url}/customers/{ada.public_id}/#conversation")
        section = page.locator("#conversation")
        assert "Can you come on Friday instead? <b>Thanks</b>" in section.inner_text()
        visit(page, 390, artifacts, "conversation-1-customer")
        page.get_by_label("Your reply").fill("Friday at 9 works.")
        page.get_by_role("button", name="Queue reply").click()
        page.wait_for_url("**#conversation")
        assert "Your reply is queued" in page.content()
        assert "Friday at 9 works." in page.locator("#conversation").inner_text()
        visit(page, 390, artifacts, "conversation-2-replied")

        page.get_by_role("link", name="1 message from unknown senders").click()
        page.wait_for_url("**/conversations/unmatched/")
        visit(page, 390, artifacts, "conversation-3-unmatched")
        page.get_by_label("Whose is it? Name, email or phone").fill("Ada Lovelace")
        page.get_by_role("button", name="Attach").click()
        page.get_by_text("Nothing waiting").wait_for()
    finally:
        context.close()
    reply = Touchpoint.objects.get(idempotency_key__startswith="reply:")
    assert reply.status == "planned" and reply.purpose == "transactional"
