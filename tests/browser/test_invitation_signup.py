"""Joining a team and resetting a password in Chromium, through Django's CSRF check.

Both pages carry a token in their address. They once sent `Referrer-Policy: no-referrer`,
under which Chromium posts `Origin: null`, and the CSRF check answered 403: nobody could
join from a browser. The links are built from the rows, as the emails build them, so the
test does not depend on how the mail leaves."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from followthrough.tenants.members import invitation_token
from followthrough.tenants.models import Invitation, Membership
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a kettle of quiet herons"


def _sign_in(page, base, username, password):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].btn-primary")


def _invite_from_the_team_page(browser, base, owner, email):
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, base, owner.username, PASSWORD)
    page.wait_for_url("**/today/**")
    page.goto(f"{base}/settings/members/")
    page.fill("#id_email", email)
    page.select_option("#id_role", Membership.STAFF)
    page.click("text=Send invitation")
    page.wait_for_load_state("networkidle")
    context.close()
    return Invitation.objects.get(email=email)


def test_it_signs_a_staff_member_up_from_an_invitation(live_server, browser, business, owner):
    invitation = _invite_from_the_team_page(browser, live_server.url, owner, "robin@example.com")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/invite/{invitation_token(invitation)}/")
    page.fill("#id_name", "Robin Ash")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("text=Create my account and join")
    page.wait_for_url("**/today/**")

    assert "Welcome to Riverside Plumbing" in page.content()
    robin = get_user_model().objects.get(email="robin@example.com")
    assert Membership.objects.get(user=robin, business=business).role == Membership.STAFF
    # Signed in as Robin: the owner-only team page is closed to them.
    assert page.goto(f"{live_server.url}/settings/members/").status in (302, 403, 404)
    context.close()


def test_it_resets_a_password_in_the_browser(live_server, browser, owner):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/password/reset/")
    page.fill("#id_email", owner.email)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url("**/password/reset/sent/**")

    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    token = default_token_generator.make_token(owner)
    page.goto(f"{live_server.url}/password/reset/{uid}/{token}/")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url("**/password/reset/done/**")

    _sign_in(page, live_server.url, owner.username, NEW_PASSWORD)
    page.wait_for_url("**/today/**")
    context.close()
