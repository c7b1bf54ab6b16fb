"""Shared fixtures: a business with an owner and a staff member, and an outsider who
belongs to another business. Every access test uses the outsider."""

import os

import pytest
from django.contrib.auth import get_user_model

from followthrough.tenants.models import Business, Membership

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery staple"


def skip_unless_ci(reason: str):
    """Locally a missing browser or database skips; in CI it fails, because CI must run it."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this may not be skipped)")
    pytest.skip(reason)


def make_member(business, email, role):
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    Membership.objects.create(business=business, user=user, role=role)
    return user


@pytest.fixture
def business(db):
    return Business.objects.create(
        slug="riverside-plumbing", name="Riverside Plumbing", timezone="America/New_York",
        sender_name="Sam at Riverside", sender_email="sam@riverside.example",
        postal_address="12 Mill Lane, Hudson, NY 12534",
    )


@pytest.fixture
def other_business(db):
    return Business.objects.create(
        slug="bright-bakery", name="Bright Bakery", timezone="Europe/Berlin",
        sender_email="hello@bright.example",
    )


@pytest.fixture
def owner(business):
    return make_member(business, "owner@riverside.example", Membership.OWNER)


@pytest.fixture
def staff(business):
    return make_member(business, "staff@riverside.example", Membership.STAFF)


@pytest.fixture
def outsider(other_business):
    return make_member(other_business, "owner@bright.example", Membership.OWNER)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With CI=true a skipped test is a failed test: CI must run everything it claims to."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, which is not allowed: {report.longrepr}"
