"""The customer timeline, the new sale form and the engagement page."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.customers.consent import record_consent
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Touchpoint


@pytest.fixture
def playbooks(business):
    return {p.slug: p for p in install_builtin_playbooks(business)}


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Alex Moreno",
                                   email="alex@example.com", phone="+15185550199")


@pytest.fixture
def engagement(business, customer, playbooks):
    return services.create_engagement(
        business, customer, playbooks["service-job"], kind="Job",
        description="Boiler service", won_at=timezone.now() - dt.timedelta(hours=2),
    )


def sale_data(chosen_playbook, **overrides):
    data = {
        "customer": "", "new_name": "Robin Lee", "new_email": "robin@example.com",
        "new_phone": "", "playbook": chosen_playbook.public_id, "kind": "Job",
        "description": "Fixed the leaking tap", "value": "180.00",
        "won_at": "2026-03-10T14:30", "started_at": "", "delivered_at": "",
    }
    data.update(overrides)
    return data


def test_it_shows_the_customer_page_with_timeline(owner_client, customer, engagement):
    response = owner_client.get(f"/customers/{customer.public_id}/")
    assert response.status_code == 200
    touchpoint = engagement.touchpoints.order_by("due_at").first()
    assert touchpoint.name in response.text
    assert "Boiler service" in response.text
    assert "badge-planned" in response.text


def test_it_shows_consent_entries_on_the_customer_page(owner_client, customer):
    record_consent(customer, "email", "marketing", True, source="signup form")
    text = owner_client.get(f"/customers/{customer.public_id}/").text
    assert "signup form" in text
    assert "Marketing" in text


def test_it_shows_local_times_on_the_customer_page(owner_client, customer, engagement):
    touchpoint = engagement.touchpoints.order_by("due_at").first()
    local = timezone.localtime(touchpoint.due_at, engagement.business.zone)
    text = owner_client.get(f"/customers/{customer.public_id}/").text
    assert local.strftime("%H:%M") in text


def test_it_renders_the_new_sale_form(owner_client, playbooks):
    response = owner_client.get("/customers/sales/new/")
    assert response.status_code == 200
    assert playbooks["service-job"].public_id in response.text


def test_it_preselects_the_customer_from_the_customer_page(owner_client, customer, playbooks):
    response = owner_client.get("/customers/sales/new/", {"customer": customer.public_id})
    # The customer picker (customers/picker.py) holds the id and shows the name.
    assert f'name="customer" value="{customer.public_id}"' in response.text
    assert f'name="customer_q" value="{customer.name}"' in response.text


def test_it_creates_a_sale_with_a_new_customer(owner_client, business, playbooks):
    response = owner_client.post("/customers/sales/new/", sale_data(playbooks["service-job"]))
    engagement = Engagement.objects.get(business=business)
    assert response.url == f"/customers/engagements/{engagement.public_id}/"
    assert engagement.customer.name == "Robin Lee"
    assert engagement.touchpoints.exists()


def test_it_reads_the_won_date_in_the_business_zone(owner_client, business, playbooks):
    owner_client.post("/customers/sales/new/", sale_data(playbooks["service-job"]))
    engagement = Engagement.objects.get(business=business)
    # 14:30 in New York on 10 March 2026 (EDT, UTC-4) is 18:30 UTC.
    assert engagement.won_at == dt.datetime(2026, 3, 10, 18, 30, tzinfo=dt.UTC)


def test_it_creates_a_sale_for_an_existing_customer(owner_client, customer, playbooks):
    owner_client.post("/customers/sales/new/", sale_data(
        playbooks["service-job"], customer=customer.public_id, new_name="", new_email=""))
    assert Engagement.objects.get().customer == customer
    assert Customer.objects.count() == 1


def test_it_shows_the_plan_after_the_sale(owner_client, business, playbooks):
    response = owner_client.post("/customers/sales/new/", sale_data(
        playbooks["service-job"], won_at=timezone.localtime(timezone.now(), business.zone)
        .strftime("%Y-%m-%dT%H:%M")), follow=True)
    assert "Thank-you call" in response.text
    assert "touches planned" in response.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"new_name": ""}, "new_name"),
        ({"new_email": "", "new_phone": ""}, "new_email"),
        ({"new_phone": "0142"}, "new_phone"),
        ({"won_at": ""}, "won_at"),
        ({"won_at": "yesterday"}, "won_at"),
        ({"value": "lots"}, "value"),
        ({"playbook": "nope"}, "playbook"),
        ({"delivered_at": "2026-03-01T09:00"}, "delivered_at"),
    ],
)
def test_it_names_the_field_and_saves_nothing_with_a_bad_sale(owner_client, business,
                                                              playbooks, overrides, field):
    response = owner_client.post("/customers/sales/new/",
                                 sale_data(playbooks["service-job"], **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Engagement.objects.exists()
    assert not Customer.objects.exists()
    assert not Touchpoint.objects.exists()


def test_it_refuses_a_playbook_that_is_off(owner_client, playbooks):
    playbook = playbooks["service-job"]
    playbook.is_active = False
    playbook.save()
    response = owner_client.post("/customers/sales/new/", sale_data(playbook))
    assert "playbook" in response.context["form"].errors
    assert not Engagement.objects.exists()


def test_it_shows_the_engagement_page(owner_client, engagement):
    response = owner_client.get(f"/customers/engagements/{engagement.public_id}/")
    assert response.status_code == 200
    assert "Boiler service" in response.text
    assert "Thank-you call" in response.text


def test_it_records_a_lifecycle_event(owner_client, engagement):
    response = owner_client.post(
        f"/customers/engagements/{engagement.public_id}/events/",
        {"event": "started", "at": timezone.localtime(timezone.now(), engagement.business.zone)
         .strftime("%Y-%m-%dT%H:%M")}, follow=True,
    )
    engagement.refresh_from_db()
    assert engagement.started_at is not None
    assert "Recorded: started" in response.text


def test_it_names_the_field_with_an_event_before_the_won_date(owner_client, engagement):
    response = owner_client.post(
        f"/customers/engagements/{engagement.public_id}/events/",
        {"event": "delivered", "at": "2020-01-01T09:00"},
    )
    assert response.status_code == 400
    assert "at" in response.context["event_form"].errors
    engagement.refresh_from_db()
    assert engagement.delivered_at is None


def test_it_refuses_get_on_the_event_action(owner_client, engagement):
    response = owner_client.get(f"/customers/engagements/{engagement.public_id}/events/")
    assert response.status_code == 405


@pytest.fixture
def referrer(business, customer, engagement):
    Customer.objects.filter(pk=customer.pk).update(referral_code="ALEX2345")
    customer.refresh_from_db()
    return customer


def test_it_credits_the_referrer_of_a_new_customer_on_a_sale(owner_client, business,
                                                              playbooks, referrer):
    owner_client.post("/customers/sales/new/",
                      sale_data(playbooks["service-job"], new_referral_code="alex2345"))
    robin = Customer.objects.get(business=business, email="robin@example.com")
    assert robin.referred_by == referrer
    card = Touchpoint.objects.get(idempotency_key=f"referral:{robin.public_id}")
    assert card.customer == referrer


def test_it_saves_no_sale_with_an_unknown_referral_code(owner_client, business, playbooks,
                                                        referrer):
    response = owner_client.post("/customers/sales/new/",
                                 sale_data(playbooks["service-job"], new_referral_code="NOPE2345"))
    assert "new_referral_code" in response.context["form"].errors
    assert not Customer.objects.filter(business=business, email="robin@example.com").exists()
    assert Engagement.objects.filter(business=business).count() == 1


def test_it_refuses_a_referral_code_for_an_existing_customer(owner_client, business,
                                                             playbooks, referrer):
    other = Customer.objects.create(business=business, name="Kim", email="kim@example.com")
    response = owner_client.post("/customers/sales/new/", sale_data(
        playbooks["service-job"], customer=other.public_id, new_referral_code="ALEX2345"))
    assert "new_referral_code" in response.context["form"].errors
    other.refresh_from_db()
    assert other.referred_by is None
