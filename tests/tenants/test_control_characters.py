"""Business settings and invitations refuse control characters at the form, naming the
field, and Business.save() strips them for every other way in."""

import pytest

from followthrough.tenants.forms import NewAccountForm
from followthrough.tenants.models import Business, Invitation
from tests.tenants.test_views import SETTINGS_DATA


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Riverside\r\nBcc: everyone@evil.example"),
    ("sender_name", "Sam\nBcc: everyone@evil.example"),
    ("sender_name", "Sam\x1b[2J"),
    ("phone", "+1518\t5550142"),
])
def test_it_refuses_a_setting_with_control_characters(owner_client, business, field, value):
    response = owner_client.post("/settings/", {**SETTINGS_DATA, field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert "one line" in " ".join(errors[field])
    business.refresh_from_db()
    assert business.name == "Riverside Plumbing" and business.sender_name == "Sam at Riverside"


def test_it_names_the_setting_in_the_message(owner_client, business):
    response = owner_client.post("/settings/", {**SETTINGS_DATA, "sender_name": "Sam\r\nX"})
    [message] = response.context["form"].errors["sender_name"]
    assert message.startswith("Sender name needs to fit on one line")


def test_it_keeps_line_breaks_in_the_postal_address(owner_client, business):
    owner_client.post("/settings/", {**SETTINGS_DATA, "postal_address": "12 Mill Lane\r\nHudson"})
    business.refresh_from_db()
    assert business.postal_address == "12 Mill Lane\nHudson"


def test_it_strips_control_characters_when_a_business_is_saved(db):
    business = Business.objects.create(
        slug="x", name="Corner\r\nGarage", sender_name="Sam\nBcc: evil@attacker.example\x00",
        postal_address="1 Way\r\nTown\x00")
    business.refresh_from_db()
    assert (business.name, business.sender_name) == ("Corner Garage",
                                                     "Sam Bcc: evil@attacker.example")
    assert business.postal_address == "1 Way\nTown"


def test_it_strips_an_invitation_address(business):
    invitation = Invitation.objects.create(business=business, email="new@example.com\r\n")
    invitation.refresh_from_db()
    assert invitation.email == "new@example.com"


def test_it_refuses_a_new_member_name_with_a_line_break():
    form = NewAccountForm({"name": "Jo\r\nLee", "password1": "x", "password2": "x"},
                          email="jo@example.com")
    assert "name" in form.errors
