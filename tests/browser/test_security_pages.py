"""The team, account and audit pages at 390 px, under the real CSP: no console errors
about blocked scripts or styles, nothing wider than the screen."""

import pytest

from followthrough.customers.models import Customer
from followthrough.tenants import audit
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_the_security_pages_at_390px(live_server, browser, artifacts, business,
                                              owner, staff):
    audit.record(owner, business, "settings.update",
                 changes={"timezone": ["UTC", "Europe/Paris"]})
    customer = Customer.objects.create(business=business, name="Jamie Rivera",
                                       email="jamie@example.com")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url("**/today/**")
    for label, path in [("members", "/settings/members/"), ("account", "/account/"),
                        ("audit", "/settings/audit/"),
                        ("customer", f"/customers/{customer.public_id}/"),
                        ("erase", f"/customers/{customer.public_id}/erase/")]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / f"security-{label}-390.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
    context.close()
    assert violations == []
