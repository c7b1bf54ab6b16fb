"""Invitation and password-reset pages carry a token in their address and a form behind
Django's CSRF check. Under `Referrer-Policy: no-referrer` Chromium posts `Origin: null`,
which the check refuses (403), so nobody could join a team from a browser. `same-origin`
still keeps the token from every other site, and lets the browser name its origin."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from followthrough.tenants.members import invitation_token
from followthrough.tenants.models import Invitation


@pytest.fixture
def invitation(business, owner):
    return Invitation.objects.create(business=business, email="robin@example.com",
                                     invited_by=owner)


@pytest.mark.parametrize("path", ["/login/", "/password/reset/"])
def test_it_sends_same_origin_on_forms_in_the_rate_limit_table(client, db, path):
    assert client.get(path)["Referrer-Policy"] == "same-origin"


def test_it_sends_same_origin_on_the_new_password_form(client, owner):
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    token = default_token_generator.make_token(owner)
    response = client.get(f"/password/reset/{uid}/{token}/", follow=True)
    assert 'name="new_password1"' in response.text
    assert response["Referrer-Policy"] == "same-origin"


def test_it_sends_same_origin_on_a_real_invitation(client, invitation):
    response = client.get(f"/invite/{invitation_token(invitation)}/")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"


def test_it_keeps_no_referrer_on_customer_links(client, db):
    for path in ("/u/forged", "/s/forged", "/r/forged", "/ref/FORGED23", "/cal/forged"):
        assert client.get(path)["Referrer-Policy"] == "no-referrer"


def test_it_accepts_an_invitation_posted_with_its_origin(invitation):
    browser = Client(enforce_csrf_checks=True)
    url = f"/invite/{invitation_token(invitation)}/"
    browser.get(url)
    response = browser.post(url, {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value, "name": "Robin Ash",
        "password1": "a kettle of quiet herons", "password2": "a kettle of quiet herons",
    }, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
