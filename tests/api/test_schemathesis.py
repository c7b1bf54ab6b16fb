"""Schemathesis generates requests from /api/v1/openapi.json (valid and invalid ones) and
sends them to the Django WSGI app with a valid key: no answer may be a 5xx. Bounded to a
few examples per operation so it runs in well under a minute."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import experimental

from followthrough.api.models import ApiKey
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.wsgi import application

experimental.OPEN_API_3_1.enable()


@pytest.fixture
def api_schema(db):
    # ninja publishes OpenAPI 3.1; schemathesis 3 supports it behind a flag.
    return schemathesis.from_wsgi("/api/v1/openapi.json", application)


schema = schemathesis.from_pytest_fixture("api_schema")


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # Calling the WSGI handler directly fires request_started/finished, whose
    # close_old_connections would close the test's transaction on PostgreSQL; Django's own
    # test client disconnects it the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(business):
    cache.clear()
    install_builtin_playbooks(business)
    return {"Authorization": f"Bearer {ApiKey.issue(business, 'Fuzz', rate_limit=100000)[1]}"}


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
def test_it_never_answers_with_a_server_error(case, bearer):
    response = case.call_wsgi(headers=bearer)
    assert response.status_code < 500, (case.method, case.formatted_path, response.data)
