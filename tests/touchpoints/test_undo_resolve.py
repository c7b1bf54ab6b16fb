"""Undo of Resolve (incidents): for a few seconds the person who resolved an incident can
reopen it, through the feedback service; marketing is held again."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident
from followthrough.feedback.services import open_incident
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints.models import Reason, Status, Touchpoint

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def long_window(settings):
    settings.UNDO_SECONDS = 3600


@pytest.fixture
def incident(business):
    customer = Customer.objects.create(business=business, name="Jamie O'Brien",
                                       email="jamie@customer.example")
    engagement = Engagement.objects.create(business=business, customer=customer, kind="Job",
                                           won_at=timezone.now() - dt.timedelta(days=5))
    return open_incident(customer, engagement, Incident.COMPLAINT, "The tap drips again")


def _resolve(client, incident, **extra):
    return client.post(f"/feedback/incidents/{incident.public_id}/resolve/",
                       {"note": "Fixed the washer for free"}, **extra)


def _undo(client, incident, **extra):
    return client.post(f"/feedback/incidents/{incident.public_id}/undo/", **extra)


def test_it_offers_undo_in_place_after_resolving(owner_client, incident):
    text = _resolve(owner_client, incident, **HTMX).content.decode()
    assert "Resolved</span> ·" in text
    assert f'hx-post="/feedback/incidents/{incident.public_id}/undo/"' in text


def test_it_reopens_the_incident_on_undo(owner_client, incident):
    _resolve(owner_client, incident, **HTMX)
    text = _undo(owner_client, incident, **HTMX).content.decode()
    assert "open again" in text
    incident.refresh_from_db()
    assert (incident.resolved_at, incident.resolution_note) == (None, "")
    assert incident.customer.__class__.objects.get(pk=incident.customer_id).marketing_hold


def test_it_holds_marketing_again(owner_client, incident, business):
    engagement = incident.customer.engagements.get()
    ask = Touchpoint.objects.create(
        business=business, engagement=engagement, customer=incident.customer,
        idempotency_key="marketing:1", name="Spring offer", channel=kinds.EMAIL, stage=4,
        element=v.OTHER, purpose=v.MARKETING, status=Status.PLANNED,
        due_at=timezone.now() + dt.timedelta(days=3), local_date=timezone.localdate(),
        local_time=dt.time(10))
    _resolve(owner_client, incident)
    _undo(owner_client, incident)
    ask.refresh_from_db()
    assert (ask.status, ask.reason_code) == (Status.PAUSED, Reason.INCIDENT_OPEN)


def test_it_shows_the_undo_on_the_incident_page_after_a_plain_resolve(owner_client, incident):
    response = _resolve(owner_client, incident, follow=True)
    text = response.content.decode()
    assert 'id="undo-bar"' in text
    assert f"/feedback/incidents/{incident.public_id}/undo/" in text


def test_it_refuses_the_undo_after_the_window(owner_client, incident, settings):
    settings.UNDO_SECONDS = 10
    _resolve(owner_client, incident)
    incident.refresh_from_db()
    at = incident.resolved_at - dt.timedelta(seconds=11)
    Incident.objects.filter(pk=incident.pk).update(resolved_at=at)
    entry = AuditEntry.objects.get(action="incident.resolve")
    entry.changes["at"] = at.isoformat()
    entry.save()
    text = _undo(owner_client, incident, follow=True).content.decode()
    assert "Too late to undo" in text
    incident.refresh_from_db()
    assert incident.resolved_at == at


def test_it_refuses_someone_elses_undo(owner_client, client, incident, staff):
    _resolve(owner_client, incident)
    client.force_login(staff)
    _undo(client, incident)
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_it_refuses_to_reopen_when_a_newer_incident_is_open(owner_client, incident):
    _resolve(owner_client, incident)
    engagement = incident.customer.engagements.get()
    open_incident(incident.customer, engagement, Incident.COMPLAINT, "Another leak")
    text = _undo(owner_client, incident, follow=True).content.decode()
    assert "newer open incident" in text
    assert Incident.objects.filter(resolved_at=None).count() == 1


def test_it_keeps_other_businesses_out(outsider_client, incident):
    assert _undo(outsider_client, incident).status_code == 404
