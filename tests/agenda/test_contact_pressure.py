"""The contact-pressure budget on the Settings page."""

import datetime as dt

from tests.tenants.test_views import SETTINGS_DATA


def test_it_saves_the_budget_from_settings(owner_client, business):
    data = {**SETTINGS_DATA, "call_window_start": "10:00", "call_window_end": "19:00"}
    response = owner_client.post("/settings/", data)
    assert response.status_code == 302
    business.refresh_from_db()
    assert (business.call_window_start, business.call_window_end) == (dt.time(10), dt.time(19))
    assert business.cap_includes_personal is False  # the box was not ticked


def test_it_keeps_the_call_hours_when_left_blank(owner_client, business):
    data = {**SETTINGS_DATA, "cap_includes_personal": "on"}
    owner_client.post("/settings/", data)
    business.refresh_from_db()
    assert (business.call_window_start, business.call_window_end) == (dt.time(9), dt.time(20))
    assert business.cap_includes_personal is True


def test_it_names_the_field_of_backwards_call_hours(owner_client, business):
    data = {**SETTINGS_DATA, "call_window_start": "20:00", "call_window_end": "09:00"}
    response = owner_client.post("/settings/", data)
    assert response.status_code == 200
    assert "Call and text hours must end after they start." in response.text
    business.refresh_from_db()
    assert business.call_window_start == dt.time(9)
