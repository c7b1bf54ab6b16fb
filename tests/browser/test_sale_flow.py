"""The main flow in a real browser, on a phone and on a laptop: sign in, add a job for a new
customer, see its plan, then make the thank-you call from Today."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.browser.pages import fill_sign_in, go_to, sign_in
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def shop(business):
    # Every day is a business day, so the call lands today whatever day the test runs.
    business.business_days = "1234567"
    business.save()
    install_builtin_playbooks(business)
    return business


def assert_no_overflow(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at {width}px"


def visit(page, width, artifacts, label, full_page=True):
    page.wait_for_load_state("networkidle")
    assert_no_overflow(page, width)
    page.screenshot(path=str(artifacts / f"{label}.png"), full_page=full_page)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_it_adds_a_job_and_makes_the_thank_you_call(live_server, browser, artifacts, shop,
                                                    device):
    owner = make_member(shop, f"{device}@riverside.example", Membership.OWNER)
    viewport = VIEWPORTS[device]
    width = viewport["width"]
    customer = f"Robin Lee ({device})"
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        visit(page, width, artifacts, f"{device}-1-login")
        fill_sign_in(page, owner.username)
        visit(page, width, artifacts, f"{device}-2-today-empty")

        page.get_by_role("link", name="+ New sale or job").click()
        page.wait_for_url("**/customers/sales/new/")
        page.get_by_label("New customer's name").fill(customer)
        page.get_by_label("New customer's email").fill(f"robin.{device}@example.com")
        page.get_by_label("Playbook").select_option(label="Service job")
        page.get_by_label("Description").fill("Replaced the kitchen tap")
        # Won yesterday: the service-job playbook's thank-you call is due today at 10:00.
        won = timezone.localtime(timezone.now() - dt.timedelta(days=1), shop.zone)
        page.get_by_label("Won").fill(won.strftime("%Y-%m-%dT%H:%M"))
        visit(page, width, artifacts, f"{device}-3-sale-form")
        page.get_by_role("button", name="Save and plan the follow-up").click()

        page.wait_for_url("**/customers/engagements/**")
        assert page.get_by_text(f"Saved the job for {customer}").is_visible()
        assert page.get_by_role("heading", name="The plan").is_visible()
        assert page.get_by_text("Thank-you call").first.is_visible()
        visit(page, width, artifacts, f"{device}-4-engagement")

        go_to(page, "Today")
        page.wait_for_url("**/today/")
        card = page.locator("article.touch").filter(has_text=customer).filter(
            has_text="Thank-you call")
        assert card.count() == 1
        visit(page, width, artifacts, f"{device}-5-today-due")
        card.get_by_label("How did it go?").fill("Thrilled with the new tap.")
        card.get_by_role("button", name="Done").click()
        message = page.get_by_text(f"Thank-you call with {customer} is done")
        message.wait_for()
        assert message.is_visible()
        visit(page, width, artifacts, f"{device}-6-today-done")
    finally:
        context.close()


def test_it_fits_every_page_on_a_phone(live_server, browser, artifacts, shop):
    from django.core.mail import EmailMultiAlternatives

    from followthrough.channels.models import OutboxMessage
    from followthrough.channels.outbox import BUSINESS_HEADER, OutboxEmailBackend
    from followthrough.customers.consent import record_consent
    from followthrough.customers.models import Customer
    from followthrough.touchpoints import services

    owner = make_member(shop, "pages@riverside.example", Membership.OWNER)
    playbook = shop.playbooks.get(slug="service-job")
    customer = Customer.objects.create(
        business=shop, name="Bartholomew Featherstonehaugh-Wolfeschlegel",
        email="bartholomew.featherstonehaugh.wolfeschlegel@a-very-long-domain-name.example",
        phone="+15185550142", defining_moment="Came recommended by the neighbour.",
    )
    record_consent(customer, "email", "marketing", True, source="signup form")
    engagement = services.create_engagement(
        shop, customer, playbook, kind="Job", description="Annual boiler service",
        won_at=timezone.now() - dt.timedelta(days=10),
        started_at=timezone.now() - dt.timedelta(days=9),
        delivered_at=timezone.now() - dt.timedelta(days=1),
    )
    mail = EmailMultiAlternatives(
        "Thanks for choosing Riverside Plumbing", "Hi Bartholomew,\n\nThank you!",
        shop.from_email, [customer.email], headers={BUSINESS_HEADER: shop.slug},
    )
    mail.attach_alternative("<p>Hi Bartholomew,</p><p>Thank you!</p>", "text/html")
    OutboxEmailBackend().send_messages([mail])
    token = OutboxMessage.objects.get().public_id
    step = playbook.steps.filter(channel="email").first()

    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)
        pages = {
            "customers": "/customers/",
            "customer": f"/customers/{customer.public_id}/",
            "customer-edit": f"/customers/{customer.public_id}/edit/",
            "engagement": f"/customers/engagements/{engagement.public_id}/",
            "playbooks": "/playbooks/",
            "playbook": f"/playbooks/{playbook.public_id}/",
            "step-edit": f"/playbooks/steps/{step.public_id}/edit/",
            "outbox": "/outbox/",
            "outbox-message": f"/outbox/{token}/",
            "settings": "/settings/",
        }
        for label, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            visit(page, VIEWPORTS["phone"]["width"], artifacts, f"phone-page-{label}")
    finally:
        context.close()
