"""Owner actions in integrations leave a line in the audit log: webhooks added and removed,
CSV exports downloaded (here and on Insights)."""

import pytest
from django.urls import reverse

from followthrough.integrations.models import WebhookEndpoint
from followthrough.tenants.models import AuditEntry


def add_webhook(owner_client, settings, url="http://127.0.0.1:9/hook/s3cret"):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return owner_client.post(reverse("settings_integrations"), {
        "action": "webhook", "hook-format": "signed", "hook-url": url,
        "hook-events": ["feedback.received"]})


def test_it_audits_a_new_webhook(owner_client, settings, business, owner):
    add_webhook(owner_client, settings)
    hook = WebhookEndpoint.objects.get(business=business)

    entry = AuditEntry.objects.get(business=business, action="webhook.change")
    assert (entry.actor, entry.target_type, entry.target_id) == (owner, "webhookendpoint",
                                                                hook.public_id)
    assert entry.changes["webhook"] == "added" and entry.changes["host"] == "127.0.0.1"
    assert "s3cret" not in str(entry.changes)


def test_it_audits_a_removed_webhook(owner_client, settings, business):
    add_webhook(owner_client, settings)
    hook = WebhookEndpoint.objects.get(business=business)

    owner_client.post(reverse("webhook_delete", args=[hook.public_id]))

    entry = AuditEntry.objects.filter(action="webhook.change").latest("id")
    assert (entry.target_id, entry.changes["webhook"]) == (hook.public_id, "removed")
    assert not WebhookEndpoint.objects.exists()


def test_it_does_not_audit_a_refused_webhook(owner_client, settings, business):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    owner_client.post(reverse("settings_integrations"), {
        "action": "webhook", "hook-format": "signed", "hook-url": "http://127.0.0.1:9/x",
        "hook-events": ["feedback.received"]})

    assert not AuditEntry.objects.filter(action="webhook.change").exists()


@pytest.mark.parametrize("kind", ["customers", "feedback"])
def test_it_audits_a_csv_export(owner_client, business, kind):
    owner_client.get(reverse("export", args=[kind]))

    entry = AuditEntry.objects.get(business=business, action="export.csv")
    assert (entry.target_type, entry.target_id) == ("export", kind)


def test_it_audits_an_insights_export(owner_client, business):
    owner_client.get("/insights/export/at-risk.csv?period=all")

    entry = AuditEntry.objects.get(business=business, action="export.csv")
    assert (entry.target_type, entry.target_id) == ("export", "at-risk")
