from axes.utils import reset
from django.conf import settings

from tests.conftest import PASSWORD


def _login(client, password):
    return client.post("/login/", {"username": "owner@riverside.example",
                                   "password": password})


def test_it_locks_out_after_repeated_failures(client, owner):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong")
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert "Signing in is paused" in response.text
    assert "_auth_user_id" not in client.session


def test_it_shows_the_usual_error_before_the_limit(client, owner):
    response = _login(client, "wrong")
    assert response.status_code == 200
    assert "That email and password don" in response.text


def test_it_lets_the_user_in_again_after_a_reset(client, owner):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong")
    reset(username="owner@riverside.example")
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_it_forgets_earlier_failures_after_a_good_sign_in(client, owner):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
