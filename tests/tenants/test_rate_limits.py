import pytest
from django.test import override_settings

LIMITS = {"/u/": 3, "/s/": 3, "/hooks/": 3}


@pytest.mark.parametrize("prefix", ["/u/", "/s/", "/hooks/"])
def test_it_answers_429_with_retry_after_past_the_limit(client, db, prefix):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        statuses = [client.get(f"{prefix}forged-token").status_code for _ in range(4)]
        response = client.get(f"{prefix}forged-token")
    assert 429 not in statuses[:3]
    assert statuses[3] == 429
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "Too many requests" in response.text


def test_it_counts_each_address_separately(client, db):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        for _ in range(4):
            client.get("/u/x", REMOTE_ADDR="10.0.0.1")
        assert client.get("/u/x", REMOTE_ADDR="10.0.0.2").status_code != 429
        assert client.get("/u/x", REMOTE_ADDR="10.0.0.1").status_code == 429


def test_it_leaves_signed_in_pages_alone(owner_client):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        statuses = {owner_client.get("/customers/").status_code for _ in range(6)}
    assert statuses == {200}


def test_it_ignores_a_forged_forwarded_for_without_trusted_proxies(client, db):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        for n in range(4):
            client.get("/u/x", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert client.get("/u/x", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_it_uses_the_proxys_address_with_a_trusted_proxy(client, db):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS, TRUSTED_PROXY_COUNT=1):
        for _ in range(4):
            client.get("/u/x", HTTP_X_FORWARDED_FOR="192.0.2.1")
        assert client.get("/u/x", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code != 429


def test_it_counts_every_request_in_one_row_per_window(db):
    from followthrough.tenants.middleware import rate_limited
    from followthrough.tenants.models import RateCounter

    results = [rate_limited("/s/203.0.113.9", 3, 3600) for _ in range(5)]
    assert results[:3] == [0, 0, 0]
    assert all(wait >= 1 for wait in results[3:])
    assert list(RateCounter.objects.values_list("count", flat=True)) == [5]


def test_it_sweeps_old_windows_when_a_new_one_opens(db):
    from followthrough.tenants.middleware import rate_limited
    from followthrough.tenants.models import RateCounter

    RateCounter.objects.create(key="/s/old@1", window=1, count=9)
    rate_limited("/s/203.0.113.9", 3, 60)
    assert not RateCounter.objects.filter(key="/s/old@1").exists()
