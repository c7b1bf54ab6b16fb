from followthrough.playbooks import services as playbook_services
from followthrough.tenants import audit
from followthrough.tenants.models import AuditEntry
from tests.tenants.test_views import SETTINGS_DATA


def test_it_records_a_settings_change_with_the_changes(owner_client, business):
    owner_client.post("/settings/", SETTINGS_DATA)
    entry = AuditEntry.objects.get(business=business, action="settings.update")
    assert entry.changes["timezone"] == ["America/New_York", "America/Chicago"]
    assert entry.actor_label == "owner@riverside.example"
    assert entry.ip == "127.0.0.1"


def test_it_records_playbook_changes_made_by_services(owner_client, business):
    playbook_services.create_playbook(business, name="Spring check", slug="spring")
    assert AuditEntry.objects.get(action="playbook.create").target_type == "playbook"


def test_it_records_without_a_request(business, owner):
    entry = audit.record(owner, business, "export.csv", target=("export", "abc"))
    assert (entry.actor, entry.target_type, entry.target_id) == (owner, "export", "abc")
    assert entry.summary == "Exported a CSV file"


def test_it_filters_the_log_by_action_and_person(owner_client, business, staff):
    audit.record(staff, business, "member.remove")
    audit.record(None, business, "settings.update")
    text = owner_client.get("/settings/audit/?action=member.remove").text
    assert "Removed someone" in text and "Changed the business settings</strong>" not in text
    text = owner_client.get("/settings/audit/?actor=staff@riverside.example").text
    assert "Removed someone" in text


def test_it_shows_only_the_businesss_own_entries(owner_client, other_business):
    audit.record(None, other_business, "member.remove")
    assert "Removed someone" not in owner_client.get("/settings/audit/").text


def test_it_names_the_field_of_a_bad_date_filter(owner_client):
    text = owner_client.get("/settings/audit/?since=yesterday").text
    assert "From: Enter a valid date." in text
