import datetime as dt

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import address_hash, may_contact, record_consent
from followthrough.customers.models import Customer, Suppression
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.privacy.services import (
    ERASED_NAME,
    apply_retention,
    erase_customer,
    export_customer,
)
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Status, Touchpoint


@pytest.fixture
def customer(business):
    playbook = install_builtin_playbooks(business)[0]
    customer = Customer.objects.create(
        business=business, name="Jamie Rivera", email="Jamie@Example.com",
        phone="+15185550142", notes="Has a dog called Biscuit", postal_address="1 Elm St",
    )
    services.create_engagement(business, customer, playbook, kind="Job",
                               description="Boiler at 1 Elm St",
                               won_at=timezone.now() - dt.timedelta(days=3))
    record_consent(customer, kinds.EMAIL, v.MARKETING, True, "form", proof="203.0.113.9")
    return customer


def test_it_exports_the_customer_and_everything_linked(customer):
    data = export_customer(customer)
    assert data["customer"]["email"] == "Jamie@Example.com"
    assert data["records"]["customers_engagement"][0]["description"] == "Boiler at 1 Elm St"
    assert data["records"]["customers_consentevent"][0]["proof"] == "203.0.113.9"
    assert data["records"]["touchpoints_touchpoint"]
    assert "id" not in data["customer"]
    assert all("link_token" not in row for row in data["records"]["touchpoints_touchpoint"])


def test_it_erases_the_personal_data(customer, owner):
    touchpoint = customer.touchpoints.first()
    Touchpoint.objects.filter(pk=touchpoint.pk).update(
        status=Status.SENT, rendered_subject="Thanks Jamie", rendered_body="Dear Jamie…",
        recipient="jamie@example.com")
    erase_customer(owner, customer)
    customer.refresh_from_db()
    assert customer.name == ERASED_NAME
    assert (customer.email, customer.phone, customer.notes, customer.postal_address) == \
        ("", "", "", "")
    touchpoint.refresh_from_db()
    assert (touchpoint.rendered_subject, touchpoint.rendered_body, touchpoint.recipient) == \
        ("", "", "")
    assert customer.engagements.get().description == ""
    assert customer.consent_events.get().proof == ""


def test_it_keeps_a_hashed_suppression_after_erasure(customer, owner, business):
    erase_customer(owner, customer)
    hashes = set(Suppression.objects.filter(business=business)
                 .values_list("channel", "address_hash"))
    assert (kinds.EMAIL, address_hash(kinds.EMAIL, "jamie@example.com")) in hashes
    assert (kinds.SMS, address_hash(kinds.SMS, "+15185550142")) in hashes
    again = Customer.objects.create(business=business, name="Jamie", email="jamie@example.com")
    record_consent(again, kinds.EMAIL, v.MARKETING, True, "import")
    assert not may_contact(again, kinds.EMAIL, v.MARKETING)


def test_it_keeps_the_rows_that_feed_the_counts(customer, owner):
    touchpoints = customer.touchpoints.count()
    erase_customer(owner, customer)
    assert customer.touchpoints.count() == touchpoints
    assert customer.engagements.count() == 1
    assert not customer.touchpoints.filter(status=Status.PLANNED).exists()


def test_it_logs_the_erasure_without_personal_data(customer, owner, business):
    erase_customer(owner, customer)
    entry = AuditEntry.objects.get(business=business, action="customer.erase")
    assert "Jamie" not in str(entry.changes) + entry.summary
    assert entry.target_id == customer.public_id


def test_it_clears_old_message_text_per_the_retention_setting(customer, business):
    old = customer.touchpoints.first()
    Touchpoint.objects.filter(pk=old.pk).update(
        status=Status.SENT, rendered_body="Dear Jamie",
        due_at=timezone.now() - dt.timedelta(days=40))
    business.retention_touchpoint_days = 30
    business.save()
    assert apply_retention(business)["touchpoints"] == 1
    old.refresh_from_db()
    assert old.rendered_body == "" and old.status == Status.SENT


def test_it_keeps_everything_when_retention_is_off(customer, business):
    old = customer.touchpoints.first()
    Touchpoint.objects.filter(pk=old.pk).update(
        status=Status.SENT, rendered_body="Dear Jamie",
        due_at=timezone.now() - dt.timedelta(days=900))
    assert apply_retention(business) == {"touchpoints": 0, "feedback": 0}
