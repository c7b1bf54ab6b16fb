"""Playwright drives Debian's Chromium against pytest-django's live server.

The live server runs in a thread of this process, so Django's async-safety check would trip
on Playwright's event loop; the sync API never shares a connection across threads here."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import skip_unless_ci

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        skip_unless_ci(f"{CHROMIUM} is missing; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def import_worker():
    """The worker's import share (imports.run_due_jobs, which `followthrough worker` runs
    after every pass) on a thread of this process, beside the live server. Only that share:
    the in-memory test database locks whole tables, and the full loop's heartbeats would
    collide with the pages' writes."""
    import threading

    from django.db import connections

    from followthrough.integrations import imports

    stop = threading.Event()

    def loop():
        try:
            while not stop.is_set():
                if not imports.run_due_jobs():
                    stop.wait(0.2)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="test-import-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)
