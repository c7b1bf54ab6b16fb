"""Email provider webhooks (django-anymail's tracking webhooks) feed the suppression list
and the consent ledger, and do no more than each event proves.

- A hard bounce is a delivery fact, not a choice the person made: the address goes on the
  email suppression list (reason "bounced") of every business that has it, so no email
  goes there again. It writes no consent row: it says nothing about SMS, or about what the
  person wants, and the ledger stays as they left it if the address is ever fixed.
- A spam complaint is the person saying no to mail: marketing email is withdrawn (a ledger
  row with source "complaint" and the provider's event as proof). When the event names the
  touchpoint it is about, only that customer; otherwise every customer with the address.

The webhook URLs are anymail's, under /integrations/anymail/, and are on only while their
secret or signing key is set (webhook_auth). Each event is applied on its own: one that
cannot be applied is logged and skipped, and the rest of the provider's batch still counts."""

import logging

from anymail.signals import tracking
from django.db import transaction
from django.dispatch import receiver

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import Customer
from followthrough.touchpoints.models import Touchpoint

log = logging.getLogger("followthrough.integrations")

HARD_BOUNCE = "bounced"
COMPLAINT = "complained"


def _recipient(event) -> str:
    recipient = event.recipient if isinstance(event.recipient, str) else ""
    return recipient.strip() if "@" in recipient and "\x00" not in recipient else ""


def _customers_for(event) -> list[Customer]:
    """The customers the event is about: the touchpoint's, when the event names one and it
    went to this recipient; else everyone with the recipient's address."""
    recipient = _recipient(event)
    if not recipient:
        return []
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    key = metadata.get("touchpoint")
    if key and isinstance(key, str):
        touchpoint = Touchpoint.objects.filter(idempotency_key=key).select_related(
            "customer__business").first()
        if touchpoint is not None and touchpoint.customer.email.lower() == recipient.lower():
            if event.event_type == COMPLAINT:
                return [touchpoint.customer]
    return list(Customer.objects.filter(email__iexact=recipient).select_related("business"))


def record(event, esp_name: str) -> int:
    """Apply one tracking event; returns how many customers it changed."""
    if event.event_type not in (HARD_BOUNCE, COMPLAINT):
        return 0
    proof = (f"{esp_name} {event.event_type} event {event.event_id or ''} for "
             f"{_recipient(event)}: {event.description or event.reject_reason or ''}")[:2000]
    customers = _customers_for(event)
    with transaction.atomic():
        for customer in customers:
            if event.event_type == HARD_BOUNCE:
                consent.suppress_bounced(customer)
            else:
                consent.record_consent(customer, kinds.EMAIL, v.MARKETING, False, "complaint",
                                       proof=proof)
    return len(customers)


@receiver(tracking, dispatch_uid="integrations.email_tracking")
def on_tracking(sender, event, esp_name, **kwargs) -> None:
    try:
        changed = record(event, esp_name)
    except Exception:  # one event we cannot apply must not fail the provider's whole batch
        log.exception("%s %s event could not be applied", esp_name, event.event_type)
        return
    if changed:
        log.info("%s %s for %d customer(s)", esp_name, event.event_type, changed)
