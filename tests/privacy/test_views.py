import json

import pytest
from django.core.management import call_command

from followthrough.customers.models import Customer
from followthrough.privacy.services import ERASED_NAME
from followthrough.tenants.models import AuditEntry


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Jamie Rivera",
                                   email="jamie@example.com")


def test_it_offers_export_and_erase_to_owners(owner_client, customer):
    text = owner_client.get(f"/customers/{customer.public_id}/").text
    assert f"/customers/{customer.public_id}/export/" in text
    assert f"/customers/{customer.public_id}/erase/" in text


def test_it_hides_export_and_erase_from_staff(client, staff, customer):
    client.force_login(staff)
    assert "/export/" not in client.get(f"/customers/{customer.public_id}/").text
    assert client.post(f"/customers/{customer.public_id}/export/").status_code == 404
    assert client.post(f"/customers/{customer.public_id}/erase/",
                       {"confirm": "erase"}).status_code == 404


def test_it_downloads_the_json(owner_client, customer):
    response = owner_client.post(f"/customers/{customer.public_id}/export/")
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["customer"]["name"] == "Jamie Rivera"
    assert AuditEntry.objects.filter(action="customer.export").exists()


def test_it_never_exports_on_a_get(owner_client, customer):
    assert owner_client.get(f"/customers/{customer.public_id}/export/").status_code == 405


def test_it_asks_before_erasing(owner_client, customer):
    owner_client.post(f"/customers/{customer.public_id}/erase/")
    customer.refresh_from_db()
    assert customer.name == "Jamie Rivera"


def test_it_erases_from_the_confirmation_page(owner_client, customer):
    assert "Erase Jamie Rivera?" in owner_client.get(
        f"/customers/{customer.public_id}/erase/").text
    response = owner_client.post(f"/customers/{customer.public_id}/erase/",
                                 {"confirm": "erase"}, follow=True)
    customer.refresh_from_db()
    assert customer.name == ERASED_NAME
    assert "personal data was erased" in response.text


def test_it_runs_retention_from_the_command(business, capsys):
    call_command("retention")
    assert "riverside-plumbing: cleared 0 messages" in capsys.readouterr().out
