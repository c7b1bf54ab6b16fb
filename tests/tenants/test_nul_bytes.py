"""A NUL character anywhere in a request is refused before any view or query sees it.
PostgreSQL cannot hold NUL in text, so `%00` in a public link was a 500 there on about
twenty routes. These tests run in both passes of `make test` (SQLite, then PostgreSQL);
the one marked `postgres` shows the database error the middleware keeps away."""

import pytest
from django.db import DataError, connection, transaction

from followthrough.customers.models import Customer
from followthrough.tenants.models import RateCounter
from tests.conftest import skip_unless_ci

PUBLIC_PATHS = ["/s/abc%00def", "/u/%00", "/r/x%00", "/r/x/%00google", "/social/%00",
                "/n/%00", "/n/confirm/%00", "/ref/%00code", "/cal/%00.ics", "/invite/%00/",
                "/integrations/inbound/%00", "/password/reset/%00/%00/"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_it_answers_404_to_a_nul_in_a_public_path(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert client.post(path).status_code == 404


@pytest.mark.parametrize("path", ["/s/abc", "/login/", "/customers/", "/healthz"])
def test_it_answers_400_to_a_nul_in_the_query_string(client, db, path):
    assert client.get(path + "?next=%00").status_code == 400
    assert client.get(path + "?a%00=1").status_code == 400


def test_it_answers_400_to_a_nul_in_a_form_field(client, db):
    response = client.post("/login/", {"username": "owner\x00@x.example", "password": "p"})
    assert response.status_code == 400
    assert "The field 'username' has a NUL character" in response.text


def test_it_answers_400_to_a_nul_in_a_multipart_form_field(client, db):
    response = client.post("/password/reset/", {"email": "a\x00@example.com"})
    assert response.status_code == 400


def test_it_answers_400_to_a_nul_in_a_signed_in_form(owner_client):
    response = owner_client.post("/customers/new/", {"name": "Ada\x00", "email": ""})
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_it_answers_400_to_a_nul_in_a_cookie_or_header(client, db):
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/login/").status_code == 400
    client.cookies.clear()
    assert client.get("/login/", headers={"X-Anything": "a\x00b"}).status_code == 400


def test_it_lets_a_file_with_nul_bytes_through_to_its_view(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("people.xlsx", b"PK\x03\x04\x00\x00binary")
    response = owner_client.post("/integrations/import/", {"file": upload,
                                                           "kind": "customers"})
    assert b"NUL character" not in response.content  # the import view judged the file


def test_it_does_not_count_a_refused_request_against_the_rate_limit(client, db):
    client.get("/s/%00")
    assert not RateCounter.objects.exists()


@pytest.mark.postgres
def test_it_keeps_postgresqls_nul_error_away_from_a_public_link(client, db):
    if connection.vendor != "postgresql":
        skip_unless_ci("needs PostgreSQL (DATABASE_URL=postgres://...)")
    with pytest.raises(DataError, match="NUL"), transaction.atomic():
        list(Customer.objects.filter(name="a\x00b"))  # what a view would have met
    assert client.get("/s/abc%00def").status_code == 404
    assert client.get("/u/abc?x=%00").status_code == 400


def test_it_answers_the_api_in_its_own_shape(client, db):
    response = client.get("/api/v1/customers?email=a%00b")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "email"
