"""Owner and system mail belongs to its business: the demo Outbox shows the owner's
unhappy-customer alert and a team invitation, and another business never sees them."""

import pytest

from followthrough.channels.mailqueue import deliver_due
from followthrough.channels.models import OutboxMessage
from followthrough.feedback.services import submit_response
from tests.feedback.conftest import make_touch


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "followthrough.channels.outbox.OutboxEmailBackend"
    settings.OUTBOX_ENABLED = True


@pytest.fixture
def alert(business, owner, outbox):
    from django.utils import timezone

    from followthrough.customers.models import Customer, Engagement

    customer = Customer.objects.create(business=business, name="Jamie Rivera",
                                       email="jamie@customer.example")
    engagement = Engagement.objects.create(business=business, customer=customer, kind="Job",
                                           description="the bathroom remodel",
                                           won_at=timezone.now())
    submit_response(make_touch(engagement), {"nps": 2})
    deliver_due()
    return OutboxMessage.objects.get(subject__contains="is unhappy")


def test_it_shows_the_unhappy_customer_alert_in_the_business_outbox(owner_client, alert,
                                                                    business):
    assert alert.business_slug == business.slug
    page = owner_client.get("/outbox/").text
    assert "Jamie Rivera is unhappy" in page
    assert owner_client.get(f"/outbox/{alert.public_id}/").status_code == 200


def test_it_shows_a_team_invitation_in_the_business_outbox(owner_client, outbox, business):
    owner_client.post("/settings/members/", {"email": "alex@example.com", "role": "staff"})
    deliver_due()
    row = OutboxMessage.objects.get(to="alex@example.com")
    assert row.business_slug == business.slug
    assert f"Join {business.name}" in owner_client.get("/outbox/").text


def test_it_hides_another_business_owner_mail(client, outsider, alert):
    client.force_login(outsider)
    assert "is unhappy" not in client.get("/outbox/").text
    assert client.get(f"/outbox/{alert.public_id}/").status_code == 404
    assert client.get(f"/outbox/{alert.public_id}/html/").status_code == 404


def test_it_offers_the_email_full_size_in_its_sandbox(owner_client, alert):
    page = owner_client.get(f"/outbox/{alert.public_id}/").text
    link = f'href="/outbox/{alert.public_id}/html/" target="_blank" rel="noopener noreferrer"'
    assert link in page
    full = owner_client.get(f"/outbox/{alert.public_id}/html/")
    assert "sandbox" in full["Content-Security-Policy"]
