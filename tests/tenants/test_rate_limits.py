import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.middleware import over_limit, rate_limited
from followthrough.tenants.models import RateCounter
from tests.feedback.conftest import make_touch

LIMITS = {"/u/": 3, "/s/": 3, "/hooks/": 3}


@pytest.fixture
def survey_url(business):
    customer = Customer.objects.create(business=business, name="Jamie O'Brien",
                                       email="jamie@customer.example")
    engagement = Engagement.objects.create(business=business, customer=customer, kind="Job",
                                           won_at=timezone.now() - dt.timedelta(days=3))
    return f"/s/{make_touch(engagement).link_token}"


def counts():
    return list(RateCounter.objects.values_list("count", flat=True))


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


def test_it_does_not_count_a_get_that_finds_its_page(client, survey_url):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        statuses = {client.get(survey_url).status_code for _ in range(5)}
    assert statuses == {200}
    assert counts() == []


def test_it_counts_a_get_that_misses(client, db):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        assert client.get("/s/forged-token").status_code == 404
    assert counts() == [1]


def test_it_refuses_even_a_valid_link_after_too_many_misses(client, survey_url):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        for _ in range(3):
            client.get("/s/forged-token")
        response = client.get(survey_url)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_refuses_a_get_over_the_limit_without_counting_it(client, db):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        for _ in range(3):
            client.get("/s/forged-token")
        statuses = [client.get("/s/forged-token").status_code for _ in range(2)]
    assert statuses == [429, 429]
    assert counts() == [3]


def test_it_counts_every_post(client, survey_url):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        statuses = [client.post(survey_url, {"nps": "9"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_it_keeps_the_token_out_of_the_referrer_on_an_uncounted_get(client, survey_url):
    with override_settings(PUBLIC_RATE_LIMITS=LIMITS):
        assert client.get(survey_url)["Referrer-Policy"] == "no-referrer"


def test_it_reads_the_limit_without_counting(db):
    assert over_limit("/s/203.0.113.9", 3, 3600) == 0
    for _ in range(3):
        rate_limited("/s/203.0.113.9", 3, 3600)
    assert over_limit("/s/203.0.113.9", 3, 3600) >= 1
    assert counts() == [3]


def test_it_counts_every_request_in_one_row_per_window(db):
    results = [rate_limited("/s/203.0.113.9", 3, 3600) for _ in range(5)]
    assert results[:3] == [0, 0, 0]
    assert all(wait >= 1 for wait in results[3:])
    assert list(RateCounter.objects.values_list("count", flat=True)) == [5]


def test_it_sweeps_old_windows_when_a_new_one_opens(db):
    RateCounter.objects.create(key="/s/old@1", window=1, count=9)
    rate_limited("/s/203.0.113.9", 3, 60)
    assert not RateCounter.objects.filter(key="/s/old@1").exists()
