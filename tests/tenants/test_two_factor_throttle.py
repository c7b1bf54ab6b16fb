"""django-otp doubles its wait after every wrong code without end, so someone who knows the
password could lock the owner out for days. The wait now stops growing at 15 minutes.

The tests count wrong codes and move the last failure back in the database, as if the wait
had passed: no sleeping, no clock."""

from datetime import timedelta

from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from followthrough.tenants import two_factor
from tests.conftest import PASSWORD

WRONG = "123456"


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _enrol(owner):
    return TOTPDevice.objects.create(user=owner, name="Authenticator app", confirmed=True)


def _sign_in(client, owner):
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.url == "/login/code/"


def _wait_passes(device, by):
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - by)


def _guess_many(client, owner, device, guesses):
    """`guesses` wrong codes through the sign-in page, each after its wait has passed,
    signing in with the password again whenever the page sends the guesser back."""
    _sign_in(client, owner)
    for _ in range(guesses):
        _wait_passes(device, timedelta(days=400))
        response = client.post("/login/code/", {"code": WRONG})
        if response.status_code == 302:
            _sign_in(client, owner)


def test_it_lets_the_owner_in_15_minutes_after_thirty_wrong_codes(client, owner):
    device = _enrol(owner)
    _guess_many(client, owner, device, 30)
    device.refresh_from_db()
    assert device.throttling_failure_count == 30

    _wait_passes(device, two_factor.CODE_WAIT_CAP + timedelta(seconds=1))
    client.get("/logout/")
    _sign_in(client, owner)
    response = client.post("/login/code/", {"code": _code(device)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_it_refuses_even_a_good_code_while_the_wait_runs(client, owner):
    device = _enrol(owner)
    _guess_many(client, owner, device, 12)
    _wait_passes(device, two_factor.CODE_WAIT_CAP - timedelta(minutes=2))
    _sign_in(client, owner)
    response = client.post("/login/code/", {"code": _code(device)})
    assert "Wait about 2 min" in response.text
    assert "_auth_user_id" not in client.session


def test_it_does_not_count_codes_typed_while_waiting(client, owner):
    device = _enrol(owner)
    _guess_many(client, owner, device, 12)
    _sign_in(client, owner)
    for _ in range(20):
        client.post("/login/code/", {"code": WRONG})
    device.refresh_from_db()
    assert device.throttling_failure_count == 12


def test_it_keeps_the_wait_at_most_15_minutes_however_many_wrong_codes(owner):
    device = _enrol(owner)
    now = timezone.now()
    device.throttling_failure_timestamp = now
    for count, most in ((1, 1), (5, 16), (10, 512), (11, 900), (40, 900), (10_000, 900)):
        device.throttling_failure_count = count
        assert two_factor.code_wait(device, now) == timedelta(seconds=most)


def test_it_allows_at_most_a_guess_a_quarter_hour_once_the_wait_is_full(owner):
    """Brute force stays impractical: ~100 guesses a day at a one-in-a-million code."""
    device = _enrol(owner)
    device.throttling_failure_count = 11
    device.throttling_failure_timestamp = timezone.now()
    device.save()
    assert not two_factor.verify(device, _code(device))
    _wait_passes(device, two_factor.CODE_WAIT_CAP - timedelta(seconds=30))
    device.refresh_from_db()
    assert not two_factor.verify(device, _code(device))
    assert device.throttling_failure_count == 11


def test_it_forgets_a_half_finished_sign_in_when_the_password_changes(client, owner):
    device = _enrol(owner)
    _sign_in(client, owner)
    owner.set_password("a brand new password 42")
    owner.save()
    response = client.post("/login/code/", {"code": _code(device)})
    assert response.url == "/login/"
    assert "_auth_user_id" not in client.session
