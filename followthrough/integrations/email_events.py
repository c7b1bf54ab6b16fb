"""Email provider webhooks (django-anymail's tracking webhooks) feed the consent ledger.

A hard bounce means the address cannot take mail: every purpose is withdrawn for it
(transactional too, which the worker honours) and it goes on the suppression list. A spam
complaint withdraws marketing. Both are ledger rows with source "bounce" or "complaint" and
the provider's event as proof. The webhook URLs are anymail's, under /integrations/anymail/
(see docs/integrations.md); anymail checks their basic-auth secret or provider signature."""

import logging

from anymail.signals import tracking
from django.db import transaction
from django.dispatch import receiver

from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import Customer
from followthrough.playbooks import vocabulary as v
from followthrough.touchpoints.models import Touchpoint

log = logging.getLogger("followthrough.integrations")

HARD_BOUNCE = "bounced"
COMPLAINT = "complained"


def _customers_for(event) -> list[Customer]:
    key = (event.metadata or {}).get("touchpoint")
    if key:
        touchpoint = Touchpoint.objects.filter(idempotency_key=key).select_related(
            "customer__business").first()
        if touchpoint is not None:
            return [touchpoint.customer]
    if not event.recipient:
        return []
    return list(Customer.objects.filter(email__iexact=event.recipient)
                .select_related("business"))


def record(event, esp_name: str) -> int:
    """Apply one tracking event; returns how many customers it changed."""
    if event.event_type not in (HARD_BOUNCE, COMPLAINT):
        return 0
    proof = (f"{esp_name} {event.event_type} event {event.event_id or ''} for "
             f"{event.recipient}: {event.description or event.reject_reason or ''}")[:2000]
    customers = _customers_for(event)
    with transaction.atomic():
        for customer in customers:
            if event.event_type == HARD_BOUNCE:
                for purpose in (v.TRANSACTIONAL, v.RELATIONSHIP, v.MARKETING):
                    consent.record_consent(customer, kinds.EMAIL, purpose, False, "bounce",
                                           proof=proof)
                if hasattr(consent, "suppress"):
                    consent.suppress(customer, kinds.EMAIL, "bounced")
            else:
                consent.record_consent(customer, kinds.EMAIL, v.MARKETING, False, "complaint",
                                       proof=proof)
    return len(customers)


@receiver(tracking, dispatch_uid="integrations.email_tracking")
def on_tracking(sender, event, esp_name, **kwargs) -> None:
    changed = record(event, esp_name)
    if changed:
        log.info("%s %s for %d customer(s)", esp_name, event.event_type, changed)
