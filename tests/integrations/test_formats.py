import pytest

from followthrough.integrations.formats import auto_mapping, detect

HEADERS = {
    "shopify": ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                "Default Address Company", "Default Address Address1", "Default Address City",
                "Default Address Province Code", "Default Address Zip", "Phone",
                "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note", "Tags"],
    "square": ["Reference ID", "First Name", "Last Name", "Email Address", "Phone Number",
               "Company Name", "Street Address 1", "City", "State", "Postal Code", "Memo",
               "Square Customer ID", "Email Subscription Status"],
    "quickbooks": ["Customer", "Company", "First Name", "Last Name", "Main Phone",
                   "Main Email", "Bill to 1", "Bill to City", "Bill to State", "Bill to Zip"],
    "jobber": ["J-ID", "Display Name", "Company Name", "First Name", "Last Name",
               "Mobile Phone #s", "E-mails", "Tags", "Billing Street 1", "Billing City"],
    "hubspot": ["Record ID", "First Name", "Last Name", "Email", "Phone Number",
                "Company Name", "Street Address", "City", "State/Region", "Postal Code",
                "Marketing contact status", "Lifecycle Stage"],
    "generic": ["Name", "Email", "Phone", "Notes"],
}


@pytest.mark.parametrize("layout", sorted(HEADERS))
def test_it_recognises_each_export(layout):
    assert detect(HEADERS[layout]) == layout


def test_it_maps_shopify_columns():
    mapping = auto_mapping(HEADERS["shopify"], "customers")
    assert mapping["external_id"] == "Customer ID"
    assert mapping["email"] == "Email"
    assert mapping["email_marketing"] == "Accepts Email Marketing"
    assert mapping["address1"] == "Default Address Address1"
    assert "name" not in mapping


def test_it_maps_square_email_and_id():
    mapping = auto_mapping(HEADERS["square"], "customers")
    assert mapping["email"] == "Email Address"
    assert mapping["external_id"] == "Square Customer ID"


def test_it_maps_jobber_and_quickbooks_names():
    assert auto_mapping(HEADERS["jobber"], "customers")["name"] == "Display Name"
    assert auto_mapping(HEADERS["quickbooks"], "customers")["email"] == "Main Email"
