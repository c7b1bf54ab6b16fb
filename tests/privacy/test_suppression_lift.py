"""An owner can take an address off the do-not-contact list, on purpose, from the
customer's page or the API; it is audited. Staff and other businesses cannot."""

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers import consent
from followthrough.customers.models import Customer
from followthrough.privacy.services import erase_customer
from followthrough.tenants.models import AuditEntry


@pytest.fixture
def returning(business, owner):
    """Jamie was erased; a new row with the same address is back, and suppressed."""
    gone = Customer.objects.create(business=business, name="Jamie", email="jamie@example.com")
    erase_customer(owner, gone)
    return Customer.objects.create(business=business, name="Jamie Rivera",
                                   email="jamie@example.com")


def url(customer):
    return f"/customers/{customer.public_id}/do-not-contact/"


def test_it_tells_the_owner_on_the_customer_page(owner_client, returning):
    text = owner_client.get(f"/customers/{returning.public_id}/").text
    assert "do-not-contact list" in text and url(returning) in text


def test_it_lifts_the_suppression_when_the_owner_confirms(owner_client, returning):
    response = owner_client.post(url(returning), {"channel": "email", "confirm": "lift"})
    assert response.status_code == 302
    assert consent.may_contact(returning, kinds.EMAIL, v.TRANSACTIONAL)
    entry = AuditEntry.objects.get(action="suppression.lift")
    assert entry.target_id == returning.public_id


def test_it_lifts_nothing_without_the_confirmation(owner_client, returning):
    owner_client.post(url(returning), {"channel": "email"})
    assert consent.suppressed_channels(returning) == [kinds.EMAIL]


def test_it_hides_the_page_from_staff(client, staff, returning):
    client.force_login(staff)
    response = client.post(url(returning), {"channel": "email", "confirm": "lift"})
    assert response.status_code == 404
    assert consent.suppressed_channels(returning) == [kinds.EMAIL]


def test_it_hides_the_page_from_another_business(outsider_client, returning):
    assert outsider_client.get(url(returning)).status_code == 404


def test_it_lifts_over_the_api(api, engagement):
    customer = Customer.objects.get(public_id=engagement["customer"])
    consent.suppress(customer, kinds.EMAIL)
    path = f"/privacy/customers/{customer.public_id}/suppression"
    assert api.get(path).json()["channels"] == ["email"]
    response = api.post(f"{path}/lift", {"channel": "email"})
    assert response.json() == {"id": customer.public_id, "channel": "email", "lifted": True}
    assert api.get(path).json()["channels"] == []
    assert AuditEntry.objects.filter(action="suppression.lift").exists()


def test_it_names_the_field_for_a_bad_channel(api, engagement):
    response = api.post(f"/privacy/customers/{engagement['customer']}/suppression/lift",
                        {"channel": "pigeon"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "channel"


def test_it_hides_another_businesss_customer_from_the_api(outsider_api, engagement):
    response = outsider_api.post(
        f"/privacy/customers/{engagement['customer']}/suppression/lift", {"channel": "email"})
    assert response.status_code == 404
