from django.urls import reverse

from followthrough.api.models import ApiKey, hash_key


def test_it_shows_a_new_key_once_and_stores_only_its_hash(owner_client, business):
    owner_client.post(reverse("settings_api"), {"name": "Web shop"})
    key = ApiKey.objects.get(business=business)

    first = owner_client.get(reverse("settings_api")).content.decode()
    raw = first.split('<code class="secret">')[1].split("</code>")[0]
    assert hash_key(raw) == key.key_hash and raw not in key.key_hash
    assert raw not in owner_client.get(reverse("settings_api")).content.decode()


def test_it_revokes_a_key(owner_client, client, business):
    key, raw = ApiKey.issue(business, "Old")
    owner_client.post(reverse("apikey_revoke", args=[key.public_id]))

    key.refresh_from_db()
    assert key.revoked_at is not None
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_it_shows_when_a_key_was_last_used(owner_client, client, business):
    _key, raw = ApiKey.issue(business, "Shop")
    client.get("/api/v1/customers", headers={"Authorization": f"Bearer {raw}"})
    assert b"last used" in owner_client.get(reverse("settings_api")).content


def test_it_hides_api_keys_from_staff(client, staff):
    client.force_login(staff)
    assert client.get(reverse("settings_api")).status_code == 404


def test_it_asks_for_a_name(owner_client):
    response = owner_client.post(reverse("settings_api"), {"name": ""})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_it_audits_a_new_key(owner_client, business, owner):
    from followthrough.tenants.models import AuditEntry

    owner_client.post(reverse("settings_api"), {"name": "Web shop"})
    key = ApiKey.objects.get(business=business)

    entry = AuditEntry.objects.get(business=business, action="apikey.create")
    assert (entry.actor, entry.target_id) == (owner, key.public_id)
    assert entry.changes == {"name": "Web shop", "prefix": key.prefix}


def test_it_audits_a_revoked_key_once(owner_client, business):
    from followthrough.tenants.models import AuditEntry

    key, _raw = ApiKey.issue(business, "Old")
    owner_client.post(reverse("apikey_revoke", args=[key.public_id]))
    owner_client.post(reverse("apikey_revoke", args=[key.public_id]))

    entries = AuditEntry.objects.filter(business=business, action="apikey.revoke")
    assert [e.target_id for e in entries] == [key.public_id]
