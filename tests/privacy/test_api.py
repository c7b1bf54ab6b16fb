from followthrough.customers.models import Customer
from followthrough.privacy.services import ERASED_NAME
from followthrough.tenants.models import AuditEntry


def test_it_exports_a_customer_over_the_api(api, engagement):
    response = api.get(f"/privacy/customers/{engagement['customer']}/export")
    assert response.status_code == 200
    assert response.json()["customer"]["public_id"] == engagement["customer"]
    assert AuditEntry.objects.get(action="customer.export").actor_label.startswith("API key")


def test_it_erases_a_customer_over_the_api(api, engagement):
    response = api.post(f"/privacy/customers/{engagement['customer']}/erase", {})
    assert response.status_code == 200
    assert Customer.objects.get(public_id=engagement["customer"]).name == ERASED_NAME


def test_it_hides_another_businesss_customer(outsider_api, engagement):
    assert outsider_api.get(
        f"/privacy/customers/{engagement['customer']}/export").status_code == 404
    assert outsider_api.post(
        f"/privacy/customers/{engagement['customer']}/erase", {}).status_code == 404
