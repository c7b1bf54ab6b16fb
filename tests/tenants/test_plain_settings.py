"""The settings page in plain words (issue #15): a country, a time zone picked from a list
of places, seven day boxes, time pickers, and no command-line text."""

import re

import pytest

from tests.tenants.test_views import SETTINGS_DATA

DATA = {**SETTINGS_DATA, "country": "US", "business_days": ["1", "2", "3", "4", "5"]}


def save(owner_client, business, **changes):
    response = owner_client.post("/settings/", {**DATA, **changes})
    business.refresh_from_db()
    return response


@pytest.mark.parametrize("typed", ["Europe / London", "Europe/London", "london", " London "])
def test_it_saves_a_time_zone_picked_or_typed_as_a_place(owner_client, business, typed):
    response = save(owner_client, business, timezone=typed, country="GB",
                    phone="020 7946 0999")
    assert response.status_code == 302, response.context["form"].errors
    assert business.timezone == "Europe/London"


def test_it_takes_the_country_main_time_zone_when_left_empty(owner_client, business):
    save(owner_client, business, timezone="", country="GB", phone="")
    assert business.timezone == "Europe/London"


def test_it_names_a_place_it_cannot_find(owner_client, business):
    response = save(owner_client, business, timezone="Atlantis")
    assert "We can't find a place called 'Atlantis'" in \
        response.context["form"].errors["timezone"][0]
    assert business.timezone == "America/New_York"


def test_it_offers_every_place_with_the_country_first(owner_client, business):
    business.country = "GB"
    business.save()
    page = owner_client.get("/settings/").text
    options = re.findall(r'<option value="([^"]+)">', page.split('id="time-zone-places"')[1])
    assert options[0] == "Europe / London"
    assert {"America / New York", "Asia / Tokyo", "Australia / Sydney"} <= set(options)
    assert 'list="time-zone-places"' in page


def test_it_saves_the_ticked_business_days(owner_client, business):
    save(owner_client, business, business_days=["1", "3", "5"])
    assert business.business_days == "135"


def test_it_shows_seven_day_boxes_with_the_saved_days_ticked(owner_client, business):
    business.business_days = "67"
    business.save()
    page = owner_client.get("/settings/").text
    boxes = re.findall(r'<input type="checkbox" name="business_days" value="(\d)"[^>]*>', page)
    assert boxes == list("1234567")
    ticked = re.findall(r'name="business_days" value="(\d)"[^>]*checked', page)
    assert ticked == ["6", "7"]
    assert "Saturday" in page and "Sunday" in page


def test_it_refuses_no_business_days_by_name(owner_client, business):
    response = save(owner_client, business, business_days=[])
    assert "Business days: Choose at least one business day." in response.text
    assert business.business_days == "12345"


def test_it_uses_time_pickers_for_every_hour(owner_client):
    page = owner_client.get("/settings/").text
    for name in ("business_hours_start", "business_hours_end", "quiet_hours_start",
                 "quiet_hours_end", "call_window_start", "call_window_end"):
        assert re.search(rf'<input type="time" name="{name}"', page), name


def test_it_checks_the_business_phone_with_the_country_and_keeps_it_as_typed(
        owner_client, business):
    save(owner_client, business, country="GB", timezone="Europe/London",
         phone="020 7946 0999")
    assert (business.country, business.phone) == ("GB", "020 7946 0999")
    response = save(owner_client, business, country="GB", phone="020 79")
    assert "Phone: This is not a valid phone number. For example 0121 234 5678" in \
        response.text


def test_it_shows_the_country_example_under_the_phone(owner_client, business):
    business.country = "GB"
    business.save()
    assert "For example 0121 234 5678" in owner_client.get("/settings/").text


def test_it_says_nothing_about_the_command_line(owner_client):
    page = owner_client.get("/settings/").text
    assert "<code>" not in page and "followthrough retention" not in page


def test_it_escapes_a_hostile_business_name_in_the_page(owner_client, business):
    business.name = "<script>alert(1)</script>\"'&"
    business.save()
    page = owner_client.get("/settings/").text
    assert "<script>alert(1)</script>" not in page
