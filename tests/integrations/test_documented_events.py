"""Every event name offered in Settings → Integrations (and listed in docs/integrations.md)
reaches an endpoint subscribed to it, each triggered by the real action that causes it: a
name nobody publishes would be a promise the product does not keep."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from followthrough import events
from followthrough.agenda import digest
from followthrough.agenda.services import make_promise, publish_overdue_promises
from followthrough.channels.mailqueue import deliver_due
from followthrough.conversations.services import receive_text
from followthrough.customers.consent import unsubscribe_token
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.newsletter import send_confirmation
from followthrough.feedback.services import open_incident, resolve_incident, submit_response
from followthrough.integrations.models import WebhookDelivery, WebhookEndpoint
from followthrough.integrations.views import EVENT_CHOICES
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status
from followthrough.touchpoints.services import create_engagement

pytestmark = pytest.mark.django_db(transaction=True)
NOW = timezone.now()


@pytest.fixture
def job(business):
    service, _ = install_builtin_playbooks(business)
    customer = Customer.objects.create(business=business, name="Ada Lovelace",
                                       email="ada@example.com")
    return Engagement.objects.create(business=business, customer=customer, playbook=service,
                                     won_at=NOW - dt.timedelta(days=20))


def engagement_created(job, owner, client):
    create_engagement(job.business, job.customer, job.playbook, won_at=NOW)


def touchpoint_sent(job, owner, client):
    noon = dt.datetime.combine(NOW.date(), dt.time(12), tzinfo=job.business.zone)
    job.touchpoints.create(
        business=job.business, customer=job.customer, name="Thank you", channel="email",
        stage=4, element="thank_you", purpose="relationship", due_at=noon,
        local_date=noon.date(), local_time=noon.time(), rendered_subject="Thanks",
        rendered_body="Thank you!",
        idempotency_key="doc-events:thanks")
    worker.run_once(now=noon + dt.timedelta(minutes=1))


def feedback_received(job, owner, client):
    survey = job.touchpoints.create(
        business=job.business, customer=job.customer, name="Survey", channel="email",
        stage=4, element="feedback", purpose="relationship", status=Status.SENT, due_at=NOW,
        local_date=NOW.date(), local_time=NOW.time(), idempotency_key="doc-events:survey")
    submit_response(survey, {"nps": 9})


def incident_opened(job, owner, client):
    open_incident(job.customer, job, "Low score", "Still leaking")


def incident_resolved(job, owner, client):
    resolve_incident(open_incident(job.customer, job, "Low score"), "Fixed the valve")


def customer_subscribed(job, owner, client):
    send_confirmation(job.customer)
    deliver_due()
    client.post(re.search(r"http://testserver(/n/confirm/\S+)", mail.outbox[-1].body)[1])


def customer_unsubscribed(job, owner, client):
    client.post(f"/u/{unsubscribe_token(job.customer, 'marketing')}", {"choice": "marketing"})


def promise_overdue(job, owner, client):
    make_promise(job.business, job.customer, owner, "Send the warranty card",
                 NOW.date() - dt.timedelta(days=3))
    publish_overdue_promises(job.business, NOW)


def inbound_received(job, owner, client):
    job.customer.phone = "+12125550123"
    job.customer.save()
    receive_text(job.customer.phone, job.customer.phone, "Can you come on Friday?", "SM1")


def digest_ready(job, owner, client):
    make_promise(job.business, job.customer, owner, "Call back about the quote", NOW.date())
    morning = dt.datetime.combine(NOW.date(), dt.time(8), tzinfo=job.business.zone)
    digest.send_due_digests(morning)


TRIGGERS = {
    events.ENGAGEMENT_CREATED: engagement_created,
    events.TOUCHPOINT_SENT: touchpoint_sent,
    events.FEEDBACK_RECEIVED: feedback_received,
    events.INCIDENT_OPENED: incident_opened,
    events.INCIDENT_RESOLVED: incident_resolved,
    events.CUSTOMER_SUBSCRIBED: customer_subscribed,
    events.CUSTOMER_UNSUBSCRIBED: customer_unsubscribed,
    events.PROMISE_OVERDUE: promise_overdue,
    events.DIGEST_READY: digest_ready,
    events.INBOUND_RECEIVED: inbound_received,
}


def test_it_has_a_trigger_for_every_event_it_offers():
    assert {name for name, _label in EVENT_CHOICES} == set(TRIGGERS)


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_it_delivers_each_documented_event_to_a_subscribed_endpoint(name, job, owner, client):
    WebhookEndpoint.objects.create(business=job.business, url="https://hooks.example.com/in",
                                   events=[name])
    TRIGGERS[name](job, owner, client)
    assert WebhookDelivery.objects.filter(business=job.business, event=name).exists()
