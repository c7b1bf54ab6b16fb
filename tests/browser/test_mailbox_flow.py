"""Set up the mailbox for replies in a real browser at phone width, against a real IMAP
server (dovecot), and test it; screenshots land in test-artifacts/."""

import pytest

from followthrough.tenants.models import Membership
from tests.browser.pages import sign_in
from tests.conftest import make_member
from tests.conversations.conftest import dovecot  # noqa: F401 - the IMAP server fixture
from tests.conversations.dovecot import PASSWORD, USER

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def check(page, artifacts, label):
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide at 390px"
    page.screenshot(path=str(artifacts / f"mailbox-{label}.png"), full_page=True)


def test_it_sets_up_and_tests_the_mailbox_on_a_phone(live_server, browser, artifacts,
                                                     business, dovecot):  # noqa: F811
    owner = make_member(business, "phone-owner@riverside.example", Membership.OWNER)
    dovecot.append(b"From: ada@example.com\r\nSubject: Hi\r\n\r\nHello\r\n")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        page.goto(f"{live_server.url}/settings/integrations/")
        page.get_by_role("link", name="Read replies from your mailbox").click()
        check(page, artifacts, "1-empty")

        page.get_by_label("Mail server (IMAP)").fill("127.0.0.1")
        page.get_by_label("Security").select_option("plain")
        page.get_by_label("Port").fill(str(dovecot.port))
        page.get_by_label("User name").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Test connection").click()

        page.get_by_text("Signed in to INBOX; 1 unread message waiting.").wait_for()
        check(page, artifacts, "2-tested")
    finally:
        context.close()
