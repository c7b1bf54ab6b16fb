"""The email brand in Settings: a logo address and a colour that white text can be read on."""

import pytest

from followthrough.tenants.models import DEFAULT_BRAND_COLOUR, contrast_with_white
from tests.tenants.test_views import SETTINGS_DATA


def save(client, **brand):
    return client.post("/settings/", {**SETTINGS_DATA, **brand})


def test_it_saves_a_logo_address_and_a_readable_colour(owner_client, business):
    response = save(owner_client, logo_url="https://riverside.example/logo.png",
                    brand_colour="#0B5D3B")
    assert response.status_code == 302
    business.refresh_from_db()
    assert (business.logo_url, business.brand_colour) == (
        "https://riverside.example/logo.png", "#0b5d3b")


def test_it_shows_the_brand_fields_in_settings(owner_client):
    text = owner_client.get("/settings/").text
    assert "Your emails" in text
    assert 'name="logo_url"' in text and 'name="brand_colour"' in text and 'type="color"' in text


def test_it_keeps_the_colour_when_an_older_form_leaves_it_out(owner_client, business):
    business.brand_colour = "#0b5d3b"
    business.save()
    data = {key: value for key, value in SETTINGS_DATA.items() if key != "brand_colour"}
    assert owner_client.post("/settings/", data).status_code == 302
    business.refresh_from_db()
    assert business.brand_colour == "#0b5d3b"


@pytest.mark.parametrize(("value", "message"), [
    ("#ffff00", "White text on #ffff00 is hard to read"),
    ("#f0f0f0", "White text on #f0f0f0 is hard to read"),
    ("red", "Use a colour code such as #1f5f8b"),
    ("#12345", "Use a colour code"),
    ('#123456"><script>', "Ensure this value has at most 7 characters"),
])
def test_it_names_the_colour_field_when_the_colour_is_refused(owner_client, business, value,
                                                               message):
    response = save(owner_client, brand_colour=value)
    assert response.status_code == 200
    assert f"Brand colour: {message}" in response.text.replace("&#x27;", "'")
    business.refresh_from_db()
    assert business.brand_colour == DEFAULT_BRAND_COLOUR  # nothing half-saved
    assert business.timezone == "America/New_York"


@pytest.mark.parametrize(("value", "message"), [
    ("http://riverside.example/logo.png", "Use an https:// address"),
    ("javascript:alert(1)", "Enter a valid URL"),
    ("https://user:pw@riverside.example/logo.png", "Leave the user name and password out"),
    ("https://riverside.example/" + "x" * 500, "at most 500 characters"),
])
def test_it_names_the_logo_field_when_the_address_is_refused(owner_client, business, value,
                                                              message):
    response = save(owner_client, logo_url=value)
    assert response.status_code == 200
    assert "Logo address: " in response.text and message in response.text
    business.refresh_from_db()
    assert business.logo_url == ""


def test_it_measures_contrast_as_wcag_does():
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    assert contrast_with_white(DEFAULT_BRAND_COLOUR) >= 4.5
