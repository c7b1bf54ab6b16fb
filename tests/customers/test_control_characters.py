"""Text is clean at the door: a customer's one-line fields refuse CR, LF, NUL and other
control characters with an error naming the field, and Customer.save() strips them for
every other entrance (imports, webhooks)."""

import pytest

from followthrough.customers.models import ConsentEvent, Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.text import clean_rows
from tests.customers.test_views import CUSTOMER_DATA

# NUL is refused before any form sees it (a 400 from the middleware), so it is not here.
HOSTILE = ["Jamie\r\nBcc: everyone@evil.example", "Jamie\nRivera", "Jamie\x07", "Ja\x1bmie",
           "Jamie\u2028Rivera", "Jamie\tRivera"]


@pytest.mark.parametrize("name", HOSTILE)
def test_it_refuses_a_name_with_control_characters_in_the_form(owner_client, business, name):
    response = owner_client.post("/customers/new/", {**CUSTOMER_DATA, "name": name})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["name"]
    assert not Customer.objects.filter(business=business).exists()


def test_it_names_the_field_in_the_message(owner_client, business):
    response = owner_client.post("/customers/new/", {**CUSTOMER_DATA, "tags": "vip\r\nx"})
    [message] = response.context["form"].errors["tags"]
    assert message.startswith("Tags needs to fit on one line")


def test_it_keeps_line_breaks_in_notes_and_the_address(owner_client, business):
    owner_client.post("/customers/new/", {**CUSTOMER_DATA, "notes": "Gate code 1234\r\nDog",
                                          "postal_address": "1 Mill Lane\r\nHudson"})
    customer = Customer.objects.get(business=business)
    assert (customer.notes, customer.postal_address) == ("Gate code 1234\nDog",
                                                         "1 Mill Lane\nHudson")


def test_it_refuses_other_control_characters_in_notes(owner_client, business):
    response = owner_client.post("/customers/new/", {**CUSTOMER_DATA, "notes": "a\x07b"})
    assert "notes" in response.context["form"].errors
    assert not Customer.objects.filter(business=business).exists()


def test_it_refuses_a_new_customer_name_with_a_line_break_on_a_sale(owner_client, business):
    install_builtin_playbooks(business)
    playbook = business.playbooks.filter(is_active=True).first()
    response = owner_client.post("/customers/sales/new/", {
        "new_name": "Jo\r\nLee", "new_email": "jo@example.com", "playbook": playbook.public_id,
        "kind": "Job", "description": "Boiler\nservice", "won_at": "2026-06-01T10:00",
    })
    assert response.status_code == 200
    assert {"new_name", "description"} <= set(response.context["form"].errors)
    assert not Customer.objects.filter(business=business).exists()


def test_it_strips_control_characters_when_a_customer_is_saved(business):
    customer = Customer.objects.create(
        business=business, name="Jamie\r\nBcc: x@evil.example\x00", email=" jo@example.com\n",
        tags="vip\t\x1b[31m", notes="Line one\r\nLine two\x00", postal_address="1 Way\rTown")
    customer.refresh_from_db()
    assert customer.name == "Jamie Bcc: x@evil.example"
    assert (customer.email, customer.tags) == ("jo@example.com", "vip [31m")
    assert (customer.notes, customer.postal_address) == ("Line one\nLine two", "1 Way\nTown")


def test_it_strips_control_characters_when_an_engagement_is_saved(business):
    customer = Customer.objects.create(business=business, name="Jo")
    engagement = Engagement.objects.create(
        business=business, customer=customer, kind="Job\r\n", description="Boiler\nservice",
        won_at="2026-06-01T10:00Z")
    engagement.refresh_from_db()
    assert (engagement.kind, engagement.description) == ("Job", "Boiler service")


def test_it_cleans_rows_saved_before_the_door(business):
    # What the data migration runs: rows written past save() are cleaned in place.
    customer = Customer.objects.create(business=business, name="Jo")
    Customer.objects.filter(pk=customer.pk).update(name="Jo\r\nLee", notes="a\r\nb\x07")
    untouched = Customer.objects.create(business=business, name="Sam")
    assert clean_rows(Customer, lines=("name",), texts=("notes",)) == 1
    customer.refresh_from_db()
    assert (customer.name, customer.notes) == ("Jo Lee", "a\nb")
    assert Customer.objects.get(pk=untouched.pk).name == "Sam"


def test_it_strips_control_characters_from_consent_notes(business):
    customer = Customer.objects.create(business=business, name="Jo")
    event = ConsentEvent.objects.create(
        business=business, customer=customer, channel="email", purpose="marketing",
        granted=True, source="form\r\n", note="said yes\nBcc:", proof="ip 1.2.3.4\r\nform")
    event.refresh_from_db()
    assert (event.source, event.note, event.proof) == ("form", "said yes Bcc:",
                                                       "ip 1.2.3.4\nform")
