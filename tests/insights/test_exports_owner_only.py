"""Insights CSV exports are owner-only, like every other export (docs/security.md): the
at-risk table lists customers by name."""

import pytest
from django.core.cache import cache

from followthrough.tenants.models import AuditEntry
from tests.insights import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.mark.parametrize("table", ["at-risk", "delta-trend"])
def test_it_hides_insights_exports_from_staff(client, staff, business, table):
    f.customer(business, "Quiet Quinn")
    client.force_login(staff)
    assert client.get(f"/insights/export/{table}.csv").status_code == 404
    assert not AuditEntry.objects.exists()


def test_it_shows_staff_the_page_without_download_links(client, staff, business):
    client.force_login(staff)
    page = client.get("/insights/").content.decode()
    assert "/insights/export/" not in page
    assert "Owners can download each table as CSV" in page


def test_it_still_exports_for_owners_and_audits_it(owner_client, business):
    assert owner_client.get("/insights/export/at-risk.csv").status_code == 200
    assert AuditEntry.objects.get().action == "export.csv"
