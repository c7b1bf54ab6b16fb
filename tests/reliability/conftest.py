"""Fixtures for the chaos tests: a migrated template database per session, a fresh copy
per test (dropped after), a sink, and a worker pool."""

import os

import pytest

from tests.conftest import skip_unless_ci
from tests.reliability import harness


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory):
    try:
        harness.admin_connection().close()
    except Exception as exc:
        skip_unless_ci(f"PostgreSQL is not reachable at {harness.SERVER}: {exc}")
    template = harness.PgDatabase()
    var_dir = tmp_path_factory.mktemp("reliability-template")
    env = harness.base_environment(template.url, 25, var_dir)
    try:
        harness.run_command(env, "migrate", "-v0", "--skip-checks")
        yield template.name
    finally:
        template.drop()


@pytest.fixture
def pg_db(pg_template):
    database = harness.PgDatabase(template=pg_template)
    yield database
    database.drop()


@pytest.fixture
def sink():
    sink = harness.start_sink()
    yield sink
    sink.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs in the SQLite pass of make test only")


def pytest_collection_modifyitems(config, items):
    """The SQLite concurrency test brings its own SQLite file; the PostgreSQL pass of
    `make test` would only run it a second time, so that pass deselects it (not a skip)."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    keep = [item for item in items if not item.get_closest_marker("sqlite_only")]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
