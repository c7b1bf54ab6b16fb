"""Subscriber and testimonial exports are owner-only and audited (docs/security.md)."""

import pytest

from followthrough import vocabulary as v
from followthrough.customers.models import ConsentEvent
from followthrough.feedback.models import Quote, SurveyResponse
from followthrough.tenants.models import AuditEntry

EXPORTS = ["/feedback/subscribers.csv", "/feedback/testimonials.csv",
           "/feedback/testimonials.html"]


@pytest.fixture
def subscriber(engagement):
    customer = engagement.customer
    ConsentEvent.objects.create(business=customer.business, customer=customer, channel="email",
                                purpose=v.MARKETING, granted=True, source="subscribe")
    return customer


@pytest.fixture
def approved_quote(engagement):
    return SurveyResponse.objects.create(
        business=engagement.business, customer=engagement.customer, engagement=engagement,
        nps=10, went_well="Tidy and on time", quote_as=Quote.FULL,
        testimonial_status=SurveyResponse.APPROVED)


@pytest.mark.parametrize("url", EXPORTS)
def test_it_hides_exports_from_staff(client, staff, subscriber, approved_quote, url):
    client.force_login(staff)
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("url", EXPORTS)
def test_it_hides_exports_from_another_business(outsider_client, subscriber, url):
    response = outsider_client.get(url)
    assert response.status_code == 200 or response.status_code == 404
    assert b"jamie@customer.example" not in response.content


def test_it_audits_the_subscriber_export_without_personal_data(owner_client, subscriber):
    body = owner_client.get("/feedback/subscribers.csv").content.decode()
    assert "jamie@customer.example" in body
    entry = AuditEntry.objects.get(action="export.csv")
    assert (entry.target_type, entry.target_id, entry.changes) == ("export", "subscribers",
                                                                     {"rows": 1})
    assert "jamie" not in str(entry.changes) + entry.summary


@pytest.mark.parametrize(("url", "kind"), [("/feedback/testimonials.csv", "testimonials"),
                                           ("/feedback/testimonials.html",
                                            "testimonials.html")])
def test_it_audits_testimonial_exports(owner_client, approved_quote, url, kind):
    assert b"Tidy and on time" in owner_client.get(url).content
    assert AuditEntry.objects.get(action="export.csv").target_id == kind


def test_it_offers_the_download_to_owners_only(client, owner, staff, subscriber):
    client.force_login(staff)
    assert b"subscribers.csv" not in client.get("/feedback/subscribers/").content
    client.force_login(owner)
    assert b"subscribers.csv" in client.get("/feedback/subscribers/").content
