"""The API refuses control characters in one-line fields with a 422 naming the field (never
a 500), keeps line breaks in multi-line ones, and saves nothing it refused."""

import pytest

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement

from .conftest import engagement_body
from .test_bad_input import assert_names_field

ONE_LINE_BREAKERS = ["Ann\r\nBcc: everyone@evil.example", "Ann\nLee", "Ann\rLee", "Ann\x00",
                     "Ann\tLee", "Ann\x1b[31m", "Ann\u2028Lee", "Ann\x85Lee"]


@pytest.mark.parametrize("name", ONE_LINE_BREAKERS)
def test_it_refuses_a_customer_name_with_control_characters(api, business, name):
    response = api.post("/customers", {"name": name, "email": "ann@example.com"})
    assert response.status_code == 422
    assert_names_field(response, "name")
    assert not Customer.objects.filter(business=business).exists()


@pytest.mark.parametrize("field", ["email", "phone", "tags", "external_id"])
def test_it_refuses_a_line_break_in_any_one_line_customer_field(api, business, field):
    response = api.post("/customers", {"name": "Ann", field: "x\r\ny"})
    assert response.status_code == 422
    assert_names_field(response, field)


def test_it_says_what_to_fix(api):
    response = api.post("/customers", {"name": "Ann\r\nLee"})
    [error] = response.json()["detail"]
    assert "one line" in error["message"]


def test_it_keeps_line_breaks_in_notes_and_the_address(api, business):
    response = api.post("/customers", {"name": "Ann", "notes": "Gate 1234\r\nDog",
                                       "postal_address": "1 Way\nTown"})
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(business=business)
    assert (customer.notes, customer.postal_address) == ("Gate 1234\nDog", "1 Way\nTown")


def test_it_refuses_a_nul_in_notes(api, business):
    response = api.post("/customers", {"name": "Ann", "notes": "a\x00b"})
    assert_names_field(response, "notes")
    assert response.status_code == 422


@pytest.mark.parametrize("field", ["kind", "description"])
def test_it_refuses_a_line_break_in_an_engagement(api, business, field):
    response = api.post("/engagements", engagement_body(**{field: "Boiler\r\nservice"}))
    assert response.status_code == 422
    assert_names_field(response, field)
    assert not Engagement.objects.filter(business=business).exists()


def test_it_refuses_a_line_break_in_the_engagement_customer_name(api, business):
    body = engagement_body(customer={"name": "Ada\r\nBcc: x@evil.example",
                                     "email": "ada@example.com"})
    response = api.post("/engagements", body)
    assert response.status_code == 422
    assert_names_field(response, "customer.name")
    assert not Customer.objects.filter(business=business).exists()


def test_it_refuses_a_promise_with_a_line_break(api, engagement, business):
    response = api.post("/promises", {"customer": engagement["customer"],
                                      "what": "Call back\r\nBcc: x", "due_on": "2026-06-01"})
    assert response.status_code == 422
    assert_names_field(response, "what")
    assert not Promise.objects.filter(business=business).exists()
