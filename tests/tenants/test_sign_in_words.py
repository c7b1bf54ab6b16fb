"""Signing in in plain words (issue #15): the box says Email, and a wrong email or password
gets one friendly message that does not say which was wrong."""

from django.conf import settings

from tests.conftest import PASSWORD

FRIENDLY = "That email and password don&#x27;t match. Check them and try again"


def sign_in(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


def test_it_labels_the_sign_in_box_email(client, db):
    page = client.get("/login/").text
    assert '<label for="id_username">Email</label>' in page
    assert 'type="email" name="username"' in page


def test_it_answers_a_wrong_password_in_plain_words(client, owner):
    response = sign_in(client, owner.email, "not my password")
    assert response.status_code == 200
    assert FRIENDLY in response.text
    assert "correct username" not in response.text


def test_it_answers_an_unknown_email_exactly_as_a_wrong_password(client, owner):
    def page(email):
        client.cookies.clear()
        text = sign_in(client, email, "not my password").text.replace(email, "EMAIL")
        return [line for line in text.splitlines() if "csrf" not in line.lower()]

    assert page(owner.email) == page("nobody@riverside.example")


def test_it_signs_in_whatever_the_capitals_of_the_email(client, owner):
    response = sign_in(client, " Owner@Riverside.example ", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_it_counts_failures_in_other_capitals_toward_one_lockout(client, owner):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = owner.email.upper() if attempt % 2 else owner.email
        sign_in(client, email, "wrong")
    assert sign_in(client, owner.email, PASSWORD).status_code == 429
