"""Import a customer list in a real browser at phone width, then visit the integrations and
API key settings; screenshots land in test-artifacts/."""

import pytest

from followthrough.customers.models import Customer
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Membership
from tests.browser.pages import sign_in
from tests.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (b"Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Phone\n"
       b"1,Ada,Lovelace,ada@example.com,yes,+12125550123\n"
       b"2,Bob,Builder,not-an-email,no,\n")


def check(page, artifacts, label):
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide at 390px"
    page.screenshot(path=str(artifacts / f"integrations-{label}.png"), full_page=True)


def test_it_imports_a_file_with_a_progress_bar(live_server, import_worker, browser, artifacts,
                                               business,
                                               tmp_path):
    install_builtin_playbooks(business)
    owner = make_member(business, "phone-owner@riverside.example", Membership.OWNER)
    path = tmp_path / "customers_export.csv"
    path.write_bytes(CSV)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.username)

        page.goto(f"{live_server.url}/integrations/import/")
        check(page, artifacts, "1-upload")
        page.get_by_label("CSV or XLSX file").set_input_files(str(path))
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_url("**/integrations/import/*/")
        # The file is read in the background; the page opens the preview when it is done.
        # The waits are limits for a busy machine, not timings: the import does the work.
        page.get_by_text("Shopify customers export").wait_for(timeout=30000)
        check(page, artifacts, "2-preview")

        # Bob's address is unusable; his name still identifies him.
        page.get_by_role("button", name="Import 2 rows").click()
        page.get_by_text("2 customers added").wait_for(timeout=30000)
        assert page.get_by_text("1 without a value we couldn't use").is_visible()
        check(page, artifacts, "3-done")
        assert Customer.objects.filter(business=business).count() == 2

        page.goto(f"{live_server.url}/settings/integrations/")
        check(page, artifacts, "4-settings")
        page.goto(f"{live_server.url}/settings/api/")
        page.get_by_label("What it's for").fill("Web shop")
        page.get_by_role("button", name="Create key").click()
        page.get_by_text("shown only this once").wait_for()
        check(page, artifacts, "5-api-keys")
    finally:
        context.close()
