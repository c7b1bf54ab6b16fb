"""Sign in and out, the business switcher, and the owner's settings page."""

import pytest
from django.contrib.auth import get_user_model

from followthrough.tenants.middleware import SESSION_KEY
from followthrough.tenants.models import Business, Membership
from tests.conftest import PASSWORD, make_member

SETTINGS_DATA = {
    "name": "Riverside Plumbing & Heating", "timezone": "America/Chicago",
    "sender_name": "Sam", "sender_email": "sam@riverside.example",
    "reply_to_email": "", "postal_address": "12 Mill Lane", "phone": "+15185550142",
    "website": "https://riverside.example", "business_days": "123456",
    "business_hours_start": "08:00", "business_hours_end": "18:00",
    "quiet_hours_start": "21:00", "quiet_hours_end": "07:30",
    "catch_up_days": "3", "frequency_cap_days": "1",
}


def test_it_renders_the_sign_in_page(client, db):  # the rate limiter reads its table
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.text


def test_it_signs_in_and_lands_on_today(client, owner):
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/today/"


def test_it_names_the_problem_with_a_wrong_password(client, owner):
    response = client.post("/login/", {"username": owner.username, "password": "nope"})
    assert response.status_code == 200
    assert "That email and password don" in response.text


def test_it_signs_out_by_post(owner_client):
    response = owner_client.post("/logout/")
    assert response.status_code == 302
    assert owner_client.get("/today/").status_code == 302


def test_it_redirects_the_root_to_sign_in_when_anonymous(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=/")


def test_it_explains_when_a_user_has_no_business(client, db):
    user = get_user_model().objects.create_user(username="lonely", password=PASSWORD)
    client.force_login(user)
    response = client.get("/today/")
    assert response.status_code == 403
    assert "not part of a business yet" in response.text


def test_it_renders_settings_for_the_owner(owner_client):
    response = owner_client.get("/settings/")
    assert response.status_code == 200
    assert 'value="America / New York"' in response.text


def test_it_hides_settings_from_staff(client, staff):
    client.force_login(staff)
    assert client.get("/settings/").status_code == 404


def test_it_hides_the_settings_link_from_staff(client, staff):
    client.force_login(staff)
    assert 'href="/settings/"' not in client.get("/today/").text


def test_it_saves_settings(owner_client, business):
    response = owner_client.post("/settings/", SETTINGS_DATA, follow=True)
    business.refresh_from_db()
    assert business.timezone == "America/Chicago"
    assert business.business_days == "123456"
    assert business.catch_up_days == 3
    assert "Saved." in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "We can't find a place called 'Mars/Olympus'"),
        ("business_hours_end", "07:00", "Business hours must end after they start."),
        ("quiet_hours_end", "21:00", "Quiet hours must not start and end at the same time."),
        ("business_days", "189", "Tick days from Monday to Sunday."),
        ("sender_email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_it_names_the_field_with_bad_settings(owner_client, business, field, value, message):
    response = owner_client.post("/settings/", {**SETTINGS_DATA, field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    business.refresh_from_db()
    assert business.name == "Riverside Plumbing"  # nothing saved


def test_it_shows_the_switcher_with_several_memberships(owner_client, owner, other_business):
    Membership.objects.create(business=other_business, user=owner, role=Membership.STAFF)
    text = owner_client.get("/today/").text
    assert 'action="/switch/"' in text
    assert "Bright Bakery" in text


def test_it_has_no_switcher_with_one_membership(owner_client):
    assert 'action="/switch/"' not in owner_client.get("/today/").text


def test_it_switches_business(owner_client, owner, other_business):
    Membership.objects.create(business=other_business, user=owner, role=Membership.STAFF)
    response = owner_client.post("/switch/", {"business": other_business.slug}, follow=True)
    assert owner_client.session[SESSION_KEY] == other_business.slug
    assert response.context["business"] == other_business


def test_it_refuses_to_switch_to_a_business_the_user_is_not_in(owner_client, other_business):
    response = owner_client.post("/switch/", {"business": other_business.slug})
    assert response.status_code == 404
    assert SESSION_KEY not in owner_client.session


def test_it_refuses_get_on_switch(owner_client):
    assert owner_client.get("/switch/").status_code == 405


def test_it_keeps_staff_of_one_business_as_owner_of_another(client, other_business):
    business = Business.objects.create(slug="third", name="Third Co")
    user = make_member(business, "mixed@example.com", Membership.STAFF)
    Membership.objects.create(business=other_business, user=user, role=Membership.OWNER)
    client.force_login(user)
    client.post("/switch/", {"business": other_business.slug})
    assert client.get("/settings/").status_code == 200
