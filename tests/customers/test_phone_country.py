"""Phone numbers in the customer forms, the API and imports are read as numbers of the
business's country (issue #15): "020 7946 0999" works for a London business."""

import pytest

from followthrough.api.models import ApiKey
from followthrough.customers.models import Customer
from followthrough.integrations.imports import import_file
from followthrough.tenants.models import Business
from tests.api.conftest import JsonClient

LONDON_NUMBER = "020 7946 0999"
LONDON_E164 = "+442079460999"


@pytest.fixture
def london(business):
    business.timezone, business.country = "Europe/London", "GB"
    business.save()
    return business


def test_it_takes_the_country_from_settings_before_the_time_zone(business):
    business.country = "GB"
    assert business.phone_region == "GB"
    business.country = ""
    assert business.phone_region == "US"  # America/New_York


def test_it_saves_a_national_number_from_the_customer_form(owner_client, london):
    response = owner_client.post("/customers/new/", {
        "name": "Priya Shah", "phone": LONDON_NUMBER, "preferred_channel": "sms"})
    assert response.status_code == 302
    assert Customer.objects.get(business=london).phone == LONDON_E164


def test_it_shows_the_country_example_under_the_phone_field(owner_client, london):
    page = owner_client.get("/customers/new/").content.decode()
    assert "For example 0121 234 5678" in page


def test_it_saves_a_national_number_for_a_new_customer_on_a_sale(owner_client, london):
    from followthrough.playbooks.library import install_builtin_playbooks

    playbook = install_builtin_playbooks(london)[0]
    response = owner_client.post("/customers/sales/new/", {
        "new_name": "Priya Shah", "new_phone": LONDON_NUMBER, "playbook": playbook.public_id,
        "kind": "Job", "won_at": "2026-03-02T10:00"})
    assert response.status_code == 302, response.context["form"].errors
    assert Customer.objects.get(business=london).phone == LONDON_E164


def test_it_saves_a_national_number_through_the_api(client, london):
    api = JsonClient(client, ApiKey.issue(london, "Tests")[1])
    response = api.post("/customers", {"name": "Priya Shah", "phone": LONDON_NUMBER})
    assert response.status_code == 201
    assert response.json()["phone"] == LONDON_E164


def test_it_names_the_phone_field_when_the_api_gets_a_bad_national_number(client, london):
    api = JsonClient(client, ApiKey.issue(london, "Tests")[1])
    response = api.post("/customers", {"name": "Priya Shah", "phone": "020 79"})
    assert response.status_code == 422
    assert "phone" in response.content.decode()
    assert not Customer.objects.exists()


def test_it_imports_national_numbers_for_a_british_business(london):
    data = (b"Name,Email,Phone\n"
            b"Priya Shah,priya@example.com,020 7946 0999\n"
            b"Tom Reed,tom@example.com,07911 123456\n"
            b"Ana Silva,ana@example.com,+1 415 555 0100\n")
    result = import_file(london, data, "people.csv")
    assert (result.created, result.errors) == (3, [])
    phones = dict(Customer.objects.values_list("name", "phone"))
    assert phones == {"Priya Shah": LONDON_E164, "Tom Reed": "+447911123456",
                      "Ana Silva": "+14155550100"}


def test_it_imports_a_bad_number_without_it_and_says_how_to_write_one(london):
    result = import_file(london, b"Name,Email,Phone\nPriya,priya@example.com,020 79\n",
                         "people.csv")
    assert result.created == 1
    assert Customer.objects.get().phone == ""
    [error] = result.errors
    assert (error.column, error.kept) == ("Phone", True)
    assert "0121 234 5678" in error.reason


def test_it_reads_national_numbers_for_the_country_of_a_business_without_one(db):
    business = Business.objects.create(slug="ny", name="NY Plumbing",
                                       timezone="America/New_York")
    result = import_file(business, b"Name,Phone\nJo,(415) 555-0100\n", "people.csv")
    assert result.created == 1
    assert Customer.objects.get(business=business).phone == "+14155550100"
