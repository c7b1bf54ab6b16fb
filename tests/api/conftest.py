"""API fixtures: a key for each business, a small JSON client, and a guard that fails any
test in which the API's catch-all 500 handler fired (bad input must never reach it)."""

import datetime as dt
import json
import logging

import pytest
from django.core.cache import cache
from django.utils import timezone

from followthrough.api.models import ApiKey
from followthrough.playbooks.library import install_builtin_playbooks

PREFIX = "/api/v1"


class JsonClient:
    def __init__(self, client, key: str | None):
        self.client = client
        self.key = key

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(PREFIX + path, params or {}, headers=self.headers())

    def post(self, path: str, body=None):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(
            PREFIX + path, data=data, content_type="application/json", headers=self.headers()
        )


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog):
    caplog.set_level(logging.ERROR, logger="followthrough.api")
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    bugs = [r for r in records if r.name == "followthrough.api" and r.levelno >= 40]
    assert not bugs, f"The API's catch-all 500 handler fired: {bugs[0].getMessage()}"


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    # Keys get the same integer key in every test, so their per-minute counts would add up
    # across the suite and trip the rate limit.
    cache.clear()


@pytest.fixture
def playbooks(business):
    return install_builtin_playbooks(business)


@pytest.fixture
def api_key(business):
    return ApiKey.issue(business, "Tests")[1]


@pytest.fixture
def api(client, api_key, playbooks):
    return JsonClient(client, api_key)


@pytest.fixture
def outsider_api(client, other_business):
    install_builtin_playbooks(other_business)
    return JsonClient(client, ApiKey.issue(other_business, "Outsider")[1])


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def recently(hours: int = 1) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours)


def engagement_body(**overrides) -> dict:
    body = {
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "external_id": "c-1"},
        "playbook": "service-job",
        "kind": "Job",
        "description": "Boiler service",
        "value": "180.00",
        "won_at": iso(recently()),
    }
    body.update(overrides)
    return body


@pytest.fixture
def engagement(api):
    response = api.post("/engagements", engagement_body(external_id="job-1"))
    assert response.status_code == 201, response.content
    return response.json()
