"""Every route reachable without signing in is rate-limited, from the one table in
settings.PUBLIC_RATE_LIMITS. The test walks the whole URL conf, so a route added later
without a limit fails here instead of in production."""

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.middleware import limit_and_window, public_prefix
from tests.feedback.conftest import make_touch

SAMPLE = "x" * 22
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(resolver=None, prefix="/"):
    """(sample path, view) for every route, with each <parameter> filled in."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = str(pattern.pattern)
        assert not route.startswith("^"), f"a regex route ({route}) cannot be walked"
        path = prefix + PARAMETER.sub(lambda m: "1" if m["name"] == "id" else SAMPLE, route)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, path)
        elif isinstance(pattern, URLPattern):
            yield path, pattern.callback


def needs_sign_in(response) -> bool:
    location = response.get("Location", "")
    return response.status_code == 401 or (
        response.status_code == 302 and location.startswith(resolve_url(settings.LOGIN_URL)))


def reachable_without_sign_in(client, path: str, view) -> bool:
    """Whether an anonymous request gets past sign-in: its view answers for itself (a page,
    a 404 for a bad token or a webhook that is off) rather than sending it to the login page
    or asking for an API key (401; the API has its own per-key limit)."""
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path)
    return not needs_sign_in(response)


@pytest.fixture
def anonymous(client, db):
    # A limit nobody reaches here, so the walk itself is never refused.
    table = {prefix: 10**6 for prefix in settings.PUBLIC_RATE_LIMITS}
    with override_settings(PUBLIC_RATE_LIMITS=table):
        yield client


def test_it_limits_every_route_reachable_without_signing_in(anonymous):
    public = [path for path, view in routes() if reachable_without_sign_in(anonymous, path, view)]
    uncovered = [path for path in public
                 if public_prefix(path, settings.PUBLIC_RATE_LIMITS) is None]
    assert uncovered == []
    # The walk found the kinds of route the table is for.
    for expected in ("/s/", "/n/confirm/", "/social/", "/login/", "/password/reset/",
                     "/invite/", "/integrations/inbound/", "/integrations/anymail/"):
        assert any(path.startswith(expected) for path in public), expected


def test_it_has_no_entry_that_matches_no_route(db):
    paths = [path for path, _ in routes()]
    dead = [prefix for prefix in settings.PUBLIC_RATE_LIMITS
            if not any(public_prefix(path, {prefix: 1}) for path in paths)]
    assert dead == []


def test_it_limits_the_subscribe_form_per_hour(db):
    limit, window = limit_and_window(settings.PUBLIC_RATE_LIMITS["/n/"], 60)
    assert (limit, window) == (20, 3600)


def test_it_refuses_the_21st_subscribe_post_from_one_address(client, business):
    customer = Customer.objects.create(business=business, name="Jamie", email="j@example.com")
    engagement = Engagement.objects.create(business=business, customer=customer, kind="Job",
                                           won_at=timezone.now())
    url = f"/n/{make_touch(engagement).link_token}"
    statuses = [client.post(url, REMOTE_ADDR="198.51.100.7").status_code for _ in range(21)]
    assert set(statuses[:20]) == {200}
    assert statuses[20] == 429
    assert client.post(url, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_it_counts_the_confirmation_link_with_the_subscribe_form(client, db):
    assert public_prefix("/n/confirm/abc", settings.PUBLIC_RATE_LIMITS) == "/n/"


def test_it_prefers_the_longest_matching_prefix():
    table = {"/n/": 1, "/n/confirm/": 2}
    assert public_prefix("/n/confirm/abc", table) == "/n/confirm/"
    assert public_prefix("/n/abc", table) == "/n/"
    assert public_prefix("/customers/", table) is None


def test_it_matches_an_entry_ending_in_a_dollar_exactly():
    table = {"/api/v1/$": 1}
    assert public_prefix("/api/v1/", table) == "/api/v1/$"
    assert public_prefix("/api/v1/customers", table) is None

