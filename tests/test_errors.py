"""A 500 in production (DEBUG off) leaves its traceback in the log with the request's id,
and the user sees a friendly page with that id. Sentry starts only with SENTRY_DSN.

The view that raises lives in this module's own URL conf (the real one plus one route)."""

import io
import logging
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import include, path

from followthrough import errors


def boom(request):
    raise ZeroDivisionError("the view divided by zero")


urlpatterns = [path("test-only/boom/", boom), path("", include("followthrough.urls"))]
handler500 = "followthrough.errors.server_error"


@pytest.fixture
def request_log():
    """What the configured django.request handler writes to stderr."""
    handlers = [h for h in logging.getLogger("django.request").handlers
                if isinstance(h, logging.StreamHandler)]
    assert handlers, "django.request has no stream handler"
    stream = io.StringIO()
    previous = handlers[0].setStream(stream)
    yield stream
    handlers[0].setStream(previous)


@pytest.fixture
def crash(db, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False).get("/test-only/boom/")


def test_it_logs_the_traceback_of_a_500_with_the_request_id(request_log, crash):
    text = request_log.getvalue()
    request_id = crash["X-Request-ID"]
    assert crash.status_code == 500
    assert "Traceback" in text and "ZeroDivisionError: the view divided by zero" in text
    assert f"[request {request_id}] Internal Server Error: /test-only/boom/" in text


def test_it_shows_the_request_id_on_a_friendly_page(crash):
    page = crash.content.decode()
    assert crash["X-Request-ID"] in page
    assert "something went wrong" in page.lower()
    assert "ZeroDivisionError" not in page and "Traceback" not in page


def test_it_gives_every_request_its_own_id(client, db):
    first, second = client.get("/login/"), client.get("/login/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_it_ignores_a_request_id_the_client_sends(client, db):
    response = client.get("/login/", headers={"X-Request-ID": "forged\r\nline"})
    assert "forged" not in response["X-Request-ID"]


def test_it_marks_log_lines_outside_a_request_with_a_dash():
    record = logging.LogRecord("followthrough", logging.INFO, __file__, 1, "hi", None, None)
    errors.RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_it_leaves_sentry_off_without_a_dsn():
    import sentry_sdk

    assert errors.init_sentry("") is False
    assert not sentry_sdk.get_client().is_active()


def test_it_starts_sentry_without_personal_data_when_a_dsn_is_set():
    """In a process of its own, through the settings, so Sentry's hooks stay out of this one.
    The DSN points at a closed local port: nothing leaves the machine."""
    script = ("import django, sentry_sdk; django.setup(); o = sentry_sdk.get_client().options; "
              "print(o['dsn'], o['send_default_pii'], o['max_request_body_size'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "SENTRY_DSN": "https://public@127.0.0.1:9/1"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.split() == ["https://public@127.0.0.1:9/1", "False", "never"]
