"""A landline is a phone number for calls, not texts: kept, shown as such, never texted."""

import pytest

from followthrough.customers.models import Customer
from followthrough.customers.services import can_text

LONDON_LANDLINE = "+442079460999"
UK_MOBILE = "+447700900123"


@pytest.mark.parametrize(("phone", "textable"), [
    (LONDON_LANDLINE, False), (UK_MOBILE, True), ("+12125550123", True), ("", False)])
def test_it_tells_a_landline_from_a_number_that_takes_texts(phone, textable):
    assert can_text(phone) is textable


def test_it_shows_a_landline_as_calls_only_on_the_customer_page(owner_client, business):
    customer = Customer.objects.create(business=business, name="Mill House",
                                       phone=LONDON_LANDLINE)
    page = owner_client.get(f"/customers/{customer.public_id}/").content.decode()
    assert "landline: calls only, no texts" in page
