"""The suppression list is final: an erased or suppressed address gets nothing, receipts
and job messages included, until an owner lifts it on purpose (audited)."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import Customer, Engagement, Suppression
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.privacy.services import erase_customer
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints import services, worker
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement, plan_new_engagements


@pytest.fixture
def order_playbook(business):
    return next(p for p in install_builtin_playbooks(business) if p.slug == "product-order")


def order(customer, playbook):
    return services.create_engagement(customer.business, customer, playbook, kind="Order",
                                      won_at=timezone.now() - dt.timedelta(minutes=5))


@pytest.fixture
def erased_then_back(business, owner):
    """Jamie was erased; a new order brings the same address back as a new row."""
    jamie = Customer.objects.create(business=business, name="Jamie", email="jamie@example.com",
                                    phone="+15185550142")
    erase_customer(owner, jamie)
    return Customer.objects.create(business=business, name="Jamie R",
                                   email="JAMIE@example.com ")


def test_it_refuses_transactional_mail_to_a_suppressed_address(business):
    ada = Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    consent.suppress(ada, kinds.EMAIL)
    assert not consent.may_contact(ada, kinds.EMAIL, v.TRANSACTIONAL)
    assert consent.may_contact_many([(ada.pk, kinds.EMAIL, v.TRANSACTIONAL)]) == set()


def test_it_does_not_plan_the_order_email_for_an_erased_address(erased_then_back,
                                                                 order_playbook):
    engagement = order(erased_then_back, order_playbook)
    receipt = engagement.touchpoints.get(name="Order received")
    assert receipt.status == Status.SKIPPED


def test_it_sends_nothing_to_an_address_suppressed_after_planning(business, order_playbook,
                                                                   owner):
    jamie = Customer.objects.create(business=business, name="Jamie", email="jamie@example.com")
    engagement = order(jamie, order_playbook)
    receipt = engagement.touchpoints.get(name="Order received")
    assert receipt.status == Status.PLANNED
    now = timezone.now()
    Touchpoint.objects.filter(pk=receipt.pk).update(due_at=now - dt.timedelta(minutes=1))
    again = Customer.objects.create(business=business, name="J", email="jamie@example.com")
    erase_customer(owner, again)  # the other row with the same address is erased
    worker.run_once(now=now)
    assert mail.outbox == []
    receipt = engagement.touchpoints.get(name="Order received")
    assert (receipt.status, receipt.outcome_note) == (Status.SKIPPED, worker.UNSUBSCRIBED)


def test_it_marks_an_erased_address_as_do_not_contact(erased_then_back):
    assert consent.do_not_contact(erased_then_back)


def test_it_marks_an_erased_customer_as_do_not_contact(business, owner):
    jamie = Customer.objects.create(business=business, name="Jamie", email="jamie@example.com")
    erase_customer(owner, jamie)
    jamie.refresh_from_db()
    assert consent.do_not_contact(jamie)


def test_it_still_allows_a_card_after_a_bounce(business):
    ada = Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    consent.suppress(ada, kinds.EMAIL, Suppression.BOUNCED)
    assert not consent.do_not_contact(ada)


def test_it_plans_no_personal_touch_for_an_erased_address(erased_then_back, order_playbook):
    engagement = order(erased_then_back, order_playbook)
    card = engagement.touchpoints.get(channel=kinds.CARD)
    assert card.status == Status.SKIPPED


def test_it_lifts_a_suppression_only_when_an_owner_asks_and_audits_it(erased_then_back, owner):
    assert consent.suppressed_channels(erased_then_back) == [kinds.EMAIL]
    assert consent.lift_suppression(owner, erased_then_back, kinds.EMAIL)
    assert consent.may_contact(erased_then_back, kinds.EMAIL, v.TRANSACTIONAL)
    entry = AuditEntry.objects.get(action="suppression.lift")
    assert entry.changes == {"channel": kinds.EMAIL}
    assert "jamie" not in str(entry.changes).lower()


def test_it_writes_no_audit_entry_when_there_was_nothing_to_lift(business, owner):
    ada = Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    assert not consent.lift_suppression(owner, ada, kinds.EMAIL)
    assert not AuditEntry.objects.filter(action="suppression.lift").exists()


def test_it_plans_the_order_email_again_once_lifted(erased_then_back, order_playbook, owner):
    engagement = order(erased_then_back, order_playbook)
    consent.lift_suppression(owner, erased_then_back, kinds.EMAIL)
    plan_engagement(engagement)
    receipt = Touchpoint.objects.get(engagement=engagement, name="Order received")
    assert receipt.status == Status.PLANNED


def test_it_answers_many_do_not_contact_questions_at_once(erased_then_back, business):
    ada = Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    bounced = Customer.objects.create(business=business, name="Bo", email="bo@example.com")
    consent.suppress(bounced, kinds.EMAIL, Suppression.BOUNCED)
    assert consent.do_not_contact_many([erased_then_back, ada, bounced]) == {
        erased_then_back.pk}


def test_it_plans_nothing_live_for_an_erased_address_on_the_bulk_path(erased_then_back,
                                                                      order_playbook):
    """Imports and the API's bulk planning write rows straight, not through plan_engagement."""
    engagement = Engagement.objects.create(
        business=erased_then_back.business, customer=erased_then_back,
        playbook=order_playbook, kind="Order", won_at=timezone.now() - dt.timedelta(minutes=5))
    assert plan_new_engagements([engagement]) > 0
    statuses = set(engagement.touchpoints.values_list("status", "moved_reason"))
    assert statuses == {(Status.SKIPPED, "no consent")}
