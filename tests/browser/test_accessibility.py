"""Accessibility in a real browser, on the demo business: axe-core over the ten main pages
at laptop and phone width, and the keyboard and reading checks axe cannot make alone."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from followthrough.channels.models import OutboxMessage
from followthrough.customers.models import Engagement
from followthrough.demo.loader import DEMO_SLUG, OWNER_EMAIL, load_demo
from followthrough.feedback.models import Incident
from followthrough.playbooks.models import Step
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def demo(settings):
    settings.EMAIL_BACKEND = "followthrough.channels.outbox.OutboxEmailBackend"
    _business, password = load_demo()
    return password


def main_pages() -> dict[str, str]:
    """The ten pages an owner lives in, with real objects of the demo business."""
    unhappy = Incident.objects.select_related("customer").get().customer
    job = Engagement.objects.filter(customer=unhappy).first()
    step = Step.objects.filter(playbook__business__slug=DEMO_SLUG, channel="email").first()
    return {
        "Today": reverse("today"), "Week": reverse("week"),
        "Customers": reverse("customer_list"),
        "a customer": reverse("customer_detail", args=[unhappy.public_id]),
        "a job": reverse("engagement_detail", args=[job.public_id]),
        "Playbooks": reverse("playbook_list"),
        "a playbook step": reverse("step_edit", args=[step.public_id]),
        "Insights": reverse("insights"), "Outbox": reverse("outbox_list"),
        "Settings": reverse("settings"), "Text messages": reverse("settings_sms"),
    }


def signed_in(browser, live_server, password, device):
    page = browser.new_context(viewport=VIEWPORTS[device]).new_page()
    page.set_default_timeout(30_000)
    sign_in(page, live_server.url, OWNER_EMAIL, password)
    return page


def visit(page, live_server, path):
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")


def blocking_violations(page) -> list[str]:
    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"{violation['impact']} {violation['id']}: {targets}")
    return found


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_it_finds_no_serious_or_critical_violations_on_the_main_pages(
        live_server, browser, demo, device):
    page = signed_in(browser, live_server, demo, device)
    problems = {}
    try:
        for name, path in main_pages().items():
            visit(page, live_server, path)
            found = blocking_violations(page)
            if found:
                problems[name] = found
    finally:
        page.context.close()
    assert problems == {}


def test_it_draws_the_insights_chart_text_at_11_px_or_more_on_a_phone(
        live_server, browser, demo):
    page = signed_in(browser, live_server, demo, "phone")
    try:
        visit(page, live_server, reverse("insights"))
        sizes = page.evaluate("""() => [...document.querySelectorAll('svg.chart text')]
            .filter(text => text.getBBox().width > 0)
            .map(text => {
              const svg = text.ownerSVGElement;
              const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              return parseFloat(getComputedStyle(text).fontSize) * scale;
            })""")
    finally:
        page.context.close()
    assert sizes, "no chart text on Insights"
    assert min(sizes) >= 11, f"the smallest chart text is {min(sizes):.1f} px"


def test_it_skips_to_the_content_from_the_first_tab(live_server, browser, demo):
    page = signed_in(browser, live_server, demo, "phone")
    try:
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to the content")
        assert skip.evaluate("link => link === document.activeElement")
        assert skip.is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
    finally:
        page.context.close()


def test_it_scrolls_a_wide_table_with_the_keyboard(live_server, browser, demo):
    page = signed_in(browser, live_server, demo, "phone")
    try:
        visit(page, live_server, reverse("insights"))
        region = page.get_by_role("region", name="Which stages each playbook covers")
        assert region.evaluate("wrap => wrap.scrollWidth > wrap.clientWidth")
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.activeElement.scrollLeft > 0", timeout=10_000)
    finally:
        page.context.close()


MARKER = """() => [...document.querySelectorAll('details:not(.step-delete) > summary')]
    .filter(summary => summary.offsetParent !== null)
    .map(summary => {
      const before = getComputedStyle(summary, '::before');
      return [summary.textContent.trim(), before.content !== 'none'
              && parseFloat(before.borderLeftWidth) > 0];
    })"""


def test_it_marks_every_expandable_section(live_server, browser, demo):
    message = OutboxMessage.objects.filter(business_slug=DEMO_SLUG).first()
    pages = [reverse("today"), reverse("outbox_message", args=[message.public_id]),
             main_pages()["a playbook step"]]
    page = signed_in(browser, live_server, demo, "phone")
    seen = {}
    try:
        for path in pages:
            visit(page, live_server, path)
            seen.update(dict(page.evaluate(MARKER)))
    finally:
        page.context.close()
    for name in ("Plain-text version", "Headers", "What else can we do for you?",
                 "Merge fields you can use", "Last "):
        assert any(summary.startswith(name) for summary in seen), name
    assert all(seen.values()), [name for name, marked in seen.items() if not marked]
