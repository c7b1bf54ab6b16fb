"""`followthrough createbusiness`."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from followthrough.tenants.models import Business, Membership

ARGS = ["--slug", "kingston-cleaning", "--name", "Kingston Cleaning",
        "--timezone", "Europe/London", "--owner-email", "kim@kingston.example"]


def run(*args) -> str:
    out = StringIO()
    call_command("createbusiness", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_creates_the_business_its_owner_and_the_builtin_playbooks():
    run(*ARGS, "--owner-password", "a long enough passphrase")
    business = Business.objects.get(slug="kingston-cleaning")
    assert (business.name, business.timezone) == ("Kingston Cleaning", "Europe/London")
    membership = Membership.objects.get(business=business)
    assert (membership.user.username, membership.role) == ("kim@kingston.example", "owner")
    assert membership.user.check_password("a long enough passphrase")
    assert set(business.playbooks.values_list("slug", flat=True)) == {
        "service-job", "product-order"}


@pytest.mark.django_db
def test_it_prints_a_generated_password_that_works():
    out = run(*ARGS)
    password = out.split("Password (shown once, write it down): ")[1].strip()
    user = get_user_model().objects.get(username="kim@kingston.example")
    assert user.check_password(password)


@pytest.mark.django_db
def test_it_does_not_print_a_password_it_was_given():
    out = run(*ARGS, "--owner-password", "a long enough passphrase")
    assert "a long enough passphrase" not in out


@pytest.mark.django_db
def test_it_rejects_a_bad_timezone_and_creates_nothing():
    args = [a if a != "Europe/London" else "Mars/Olympus" for a in ARGS]
    with pytest.raises(CommandError, match="--timezone"):
        run(*args)
    assert not Business.objects.exists()
    assert not get_user_model().objects.exists()


def test_it_rejects_an_existing_slug(business):
    args = [a if a != "kingston-cleaning" else business.slug for a in ARGS]
    with pytest.raises(CommandError, match="already exists"):
        run(*args)
    assert not get_user_model().objects.filter(username="kim@kingston.example").exists()


@pytest.mark.django_db
def test_it_rejects_a_weak_password():
    with pytest.raises(CommandError, match="--owner-password"):
        run(*ARGS, "--owner-password", "short")
    assert not Business.objects.exists()


def test_it_makes_an_existing_user_owner_of_another_business(owner):
    args = [a if a != "kim@kingston.example" else owner.username for a in ARGS]
    out = run(*args)
    assert "Password" not in out
    assert Membership.objects.filter(user=owner, role="owner").count() == 2
