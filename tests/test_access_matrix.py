"""The access matrix: every route, generated from the URL configuration and the API's
routers, against four roles: the owner of business A, staff of A, a member of business B,
and an anonymous visitor.

  route class          owner of A   staff of A   member of B   anonymous
  owner-only           allowed      404          404 (ids)     sign-in / 401
  everything else      allowed      allowed      404 (ids)     sign-in / 401

Owner-only routes are declared in one place: `tenants.access.owner_required` marks the
view with `owner_only = True`. Public routes (customers' token links, sign-in, password
reset, inbound webhooks) are left out here; each has a forged-token test below or in its
app. The object factories are the ones of tests/test_isolation.py."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, get_resolver

from followthrough.api.api import api as ninja_api
from tests.api.conftest import (  # noqa: F401 - fixtures
    PREFIX,
    api,
    api_key,
    engagement,
    outsider_api,
    playbooks,
)
from tests.api.test_tenancy import BODIES, KIND_OF_PREFIX, api_objects  # noqa: F401
from tests.test_isolation import (  # noqa: F401 - objects is a fixture
    CUSTOMER_FACING_ROUTES,
    ID_PARAMS,
    PUBLIC_ROUTES,
    SKIP_PREFIXES,
    object_kind,
    objects,
    request,
    url_for,
    walk,
)

PUBLIC_PREFIXES = tuple(p.lstrip("/") for p in settings.PUBLIC_RATE_LIMITS)


def _routes():
    for route, pattern in walk(get_resolver().url_patterns):
        if not isinstance(pattern, URLPattern) or route.startswith(SKIP_PREFIXES):
            continue
        if (pattern.name in PUBLIC_ROUTES or pattern.name in CUSTOMER_FACING_ROUTES
                or route.startswith(PUBLIC_PREFIXES)):
            continue
        params = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        owner_only = bool(getattr(pattern.callback, "owner_only", False))
        yield pattern.name, route, bool(params & ID_PARAMS), owner_only


ROUTES = sorted(_routes())
OWNER_ONLY = {name for name, _, _, owner_only in ROUTES if owner_only}
ROLES = ["owner", "staff", "member_of_b", "anonymous"]
MATRIX = [(name, route, has_id, owner_only, role)
          for name, route, has_id, owner_only in ROUTES for role in ROLES]


# A valid value for each route parameter that is not an object id.
SAMPLE_PARAMS = {"kind": "customers", "table": "delta-trend"}


def _fill(route: str) -> str:
    def value(match):
        name = match[1]
        assert name in SAMPLE_PARAMS, f"teach the matrix a valid <{name}> in {route}"
        return SAMPLE_PARAMS[name]

    return re.sub(r"<(?:\w+:)?(\w+)>",
                  lambda m: m[0] if m[1] in ID_PARAMS else value(m), route)


def _id(case):
    return f"{case[0]}-{case[4]}"


def test_it_knows_the_owner_only_routes():
    assert {"settings", "members", "audit_log", "customer_erase", "customer_export",
            "playbook_new"} <= OWNER_ONLY
    assert not {"customer_list", "customer_detail", "today"} & OWNER_ONLY


@pytest.fixture
def clients(owner, staff, outsider):
    made = {}
    for role, user in (("owner", owner), ("staff", staff), ("member_of_b", outsider),
                       ("anonymous", None)):
        made[role] = Client()
        if user is not None:
            made[role].force_login(user)
    return made


@pytest.mark.parametrize(("name", "route", "has_id", "owner_only", "role"), MATRIX,
                         ids=[_id(c) for c in MATRIX])
def test_it_gives_each_role_exactly_its_access(request_fixture, clients, name, route,
                                               has_id, owner_only, role):
    route = _fill(route)
    if has_id:
        objects = request_fixture.getfixturevalue("objects")
        url = url_for(route, objects[object_kind(name)]())
    else:
        url = "/" + route
    response = request(clients[role], url)
    status = response.status_code
    assert status < 500, (url, role, status)
    if role == "anonymous":
        assert status == 302 and response.url.startswith("/login/"), (url, status)
    elif role == "member_of_b":
        if has_id:
            assert status == 404, (url, status)
    elif role == "staff" and owner_only:
        assert status == 404, (url, status)
    else:
        assert not (status == 302 and response.url.startswith("/login/")), url
        if response.request["REQUEST_METHOD"] == "GET":
            assert status != 404, (url, role, status)


@pytest.fixture
def request_fixture(request):
    return request


# ---------------------------------------------------------------------------- the API


def _api_operations():
    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    yield method, f"{prefix.rstrip('/')}{path}"


API_OPERATIONS = sorted(set(_api_operations()))
def test_it_finds_the_api_routes():
    paths = {path for _, path in API_OPERATIONS}
    assert {"/customers", "/privacy/customers/{id}/export"} <= paths


@pytest.mark.parametrize(("method", "path"), API_OPERATIONS,
                         ids=[f"{m} {p}" for m, p in API_OPERATIONS])
def test_it_answers_401_to_the_api_without_a_key(client, db, method, path):
    url = PREFIX + path.replace("{id}", "x" * 22)
    response = client.get(url) if method == "GET" else client.generic(
        method, url, "{}", content_type="application/json")
    assert response.status_code == 401, (method, path, response.status_code)


ID_OPERATIONS = [(m, p) for m, p in API_OPERATIONS if "{id}" in p]


@pytest.mark.parametrize(("method", "path"), ID_OPERATIONS,
                         ids=[f"{m} {p}" for m, p in ID_OPERATIONS])
def test_it_hides_objects_from_a_key_of_business_b(api_objects, outsider_api,  # noqa: F811
                                                  method, path):
    segment = path.split("{id}")[0].rstrip("/").split("/")[-1]
    assert segment in KIND_OF_PREFIX, f"teach tests/api/test_tenancy.py which object {path} takes"
    url = path.replace("{id}", api_objects[KIND_OF_PREFIX[segment]])
    body = BODIES.get(path, dict)()
    response = outsider_api.get(url) if method == "GET" else outsider_api.post(url, body)
    assert response.status_code == 404, (method, url, response.content)


# ------------------------------------------------------------ public links: forged tokens


PUBLIC_TOKEN_ROUTES = sorted(
    (pattern.name, route) for route, pattern in walk(get_resolver().url_patterns)
    if isinstance(pattern, URLPattern) and pattern.name in CUSTOMER_FACING_ROUTES
    and re.search(r"<(?:\w+:)?token>", route) and not route.startswith(SKIP_PREFIXES)
)


@pytest.mark.parametrize(("name", "route"), PUBLIC_TOKEN_ROUTES,
                         ids=[n for n, _ in PUBLIC_TOKEN_ROUTES])
def test_it_gives_a_forged_token_nothing(client, db, name, route):
    url = "/" + re.sub(r"<(?:\w+:)?\w+>", "Zm9yZ2VkLXRva2VuLW5vdC1yZWFs", route)
    response = request(client, url)
    if name == "password_reset_confirm":
        assert "link is invalid" in response.text
    else:
        assert response.status_code in (404, 400, 403), (url, response.status_code)
