import datetime as dt

from django.utils import timezone

from followthrough.api.models import ApiKey

from .conftest import JsonClient


def test_it_refuses_a_request_without_a_key(client, business):
    response = JsonClient(client, None).get("/customers")

    assert response.status_code == 401
    assert response.json()["detail"][0]["field"] == "Authorization"
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_refuses_a_wrong_key(client, api_key):
    response = JsonClient(client, api_key + "x").get("/customers")

    assert response.status_code == 401


def test_it_refuses_a_revoked_key(client, business, api_key):
    ApiKey.objects.filter(business=business).update(revoked_at=timezone.now())

    response = JsonClient(client, api_key).get("/customers")

    assert response.status_code == 401


def test_it_refuses_a_key_in_another_scheme(client, api_key):
    response = client.get("/api/v1/customers", headers={"Authorization": f"Token {api_key}"})

    assert response.status_code == 401


def test_it_refuses_before_reading_the_body(client, business):
    response = JsonClient(client, None).post("/customers", "not json")

    assert response.status_code == 401


def test_it_records_when_a_key_was_last_used(client, business, api_key):
    JsonClient(client, api_key).get("/customers")

    key = ApiKey.objects.get(business=business)
    assert timezone.now() - key.last_used_at < dt.timedelta(seconds=10)


def test_it_writes_last_used_at_at_most_once_a_minute(client, business, api_key):
    recent = timezone.now() - dt.timedelta(seconds=5)
    ApiKey.objects.filter(business=business).update(last_used_at=recent)

    JsonClient(client, api_key).get("/customers")

    assert ApiKey.objects.get(business=business).last_used_at == recent
