"""Domain events: what happened, published once the transaction that caused it commits.

Apps publish; integrations (outbound webhooks, owner notifications) subscribe. This module
imports no app, so any app may publish without importing the subscribers."""

from django.db import transaction
from django.dispatch import Signal

FEEDBACK_RECEIVED = "feedback.received"
INCIDENT_OPENED = "incident.opened"
INCIDENT_RESOLVED = "incident.resolved"
TOUCHPOINT_SENT = "touchpoint.sent"
CUSTOMER_SUBSCRIBED = "customer.subscribed"
CUSTOMER_UNSUBSCRIBED = "customer.unsubscribed"
PROMISE_OVERDUE = "promise.overdue"
ENGAGEMENT_CREATED = "engagement.created"
DIGEST_READY = "digest.ready"
INBOUND_RECEIVED = "inbound.received"

# Receivers get business (a tenants.Business), name (one of the names above) and payloads:
# a list of one or more events of that kind, each a JSON-serialisable dict that uses public
# ids only.
domain_event = Signal()


def publish(business, name: str, payload: dict) -> None:
    publish_many(business, name, [payload])


def publish_many(business, name: str, payloads: list[dict]) -> None:
    """One signal for many events of one kind and business, so that a subscriber reads its
    subscriptions once for the lot: the worker publishes a few hundred per pass."""
    if payloads:
        transaction.on_commit(lambda: domain_event.send(
            sender=None, business=business, name=name, payloads=payloads))
