"""SQLite under concurrency: web requests (several threads, the full Django stack: sessions,
middleware, views) and two workers write to one SQLite file at once. No request fails and
no one ever sees "database is locked": WAL, IMMEDIATE transactions and the busy timeout
make writers queue instead of failing.

Runs in the SQLite pass of `make test` only (the PostgreSQL pass deselects it)."""

import json
import sqlite3
import subprocess
import threading

import pytest

from followthrough.touchpoints.models import Status
from tests.reliability import harness

pytestmark = pytest.mark.sqlite_only

EMAILS = harness.env_int("RELIABILITY_SQLITE_MESSAGES", 600)
# Rounds, not seconds: each web thread loads Today, adds a customer and ticks off a call
# this many times, so the test does the same work on a fast machine and a busy one.
ROUNDS = harness.env_int("RELIABILITY_SQLITE_ROUNDS", 6)
THREADS = 4

USERS = """
import datetime as dt
from django.contrib.auth import get_user_model
from django.utils import timezone
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business, Membership
from followthrough.touchpoints.models import Touchpoint
business = Business.objects.get(slug="shop-0")
user = get_user_model().objects.create_user(username="sam@shop.example", email="sam@shop.example")
Membership.objects.create(business=business, user=user, role=Membership.OWNER)
now = timezone.now()
for n in range(200):
    customer = Customer.objects.create(business=business, name=f"Caller {n}")
    engagement = Engagement.objects.create(business=business, customer=customer, won_at=now)
    Touchpoint.objects.create(
        business=business, engagement=engagement, customer=customer, name="Call",
        idempotency_key=f"call:{n}", channel="call", stage=1, element="thank_you",
        purpose="relationship", due_at=now, local_date=now.date(), local_time=now.time())
"""

# The web side: threads, each a signed-in Django test client, loading Today, adding
# customers and ticking off calls, ROUNDS times each. Prints a JSON summary.
WEB = """
import collections, json, threading
from django.contrib.auth import get_user_model
from django.test import Client
from followthrough.touchpoints.models import Touchpoint
user = get_user_model().objects.get(username="sam@shop.example")
calls = list(Touchpoint.objects.filter(channel="call").values_list("public_id", flat=True))
codes, problems, lock = collections.Counter(), [], threading.Lock()

def browse(n):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    for i in range(ROUNDS):
        responses = [
            client.get("/today/"),
            client.post("/customers/new/", {"name": f"Walk-in {n}-{i}",
                                             "email": f"w{n}-{i}@example.com",
                                             "preferred_channel": "email"}),
        ]
        if calls:
            with lock:
                call = calls.pop() if calls else None
            if call:
                responses.append(client.post(f"/touches/{call}/done/", {"outcome_note": "ok"}))
        for response in responses:
            text = response.content.decode(errors="replace")
            with lock:
                codes[response.status_code] += 1
                if response.status_code >= 500 or "database is locked" in text:
                    problems.append(f"{response.status_code} {text[:200]}")

threads = [threading.Thread(target=browse, args=(n,)) for n in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
print("RESULT " + json.dumps({"codes": dict(codes), "problems": problems[:5]}))
"""


def test_it_never_shows_database_is_locked_to_a_user(tmp_path, sink):
    db_path = tmp_path / "busy.sqlite3"
    env = harness.base_environment(f"sqlite:///{db_path}", sink.port, tmp_path,
                                   WORKER_BATCH_SIZE=10, WORKER_SEND_THREADS=2)
    harness.run_command(env, "migrate", "-v0", "--skip-checks")
    harness.seed(env, EMAILS)
    harness.run_command(env, "shell", "-c", USERS)
    workers = harness.Workers(env, tmp_path)
    result = {}

    def web():
        script = WEB.replace("ROUNDS", str(ROUNDS)).replace("THREADS", str(THREADS))
        done = subprocess.run([*harness.CLI, "shell", "-c", script], env=env,
                              capture_output=True, text=True, timeout=600,
                              cwd=harness.ROOT)
        result["stdout"], result["stderr"] = done.stdout, done.stderr

    browsing = threading.Thread(target=web)
    browsing.start()
    workers.start(2)
    try:
        browsing.join(timeout=610)
        harness.wait_until(lambda: len(sink.messages) >= EMAILS, timeout=60,
                           what="every email at the sink")
    finally:
        workers.stop()
    line = next(line for line in result["stdout"].splitlines() if line.startswith("RESULT "))
    summary = json.loads(line[len("RESULT "):])
    assert summary["problems"] == []
    assert set(summary["codes"]) <= {"200", "302"}, summary["codes"]
    # Every request of every round was answered: the web side really did its work.
    assert sum(summary["codes"].values()) == THREADS * ROUNDS * 3
    assert "database is locked" not in result["stderr"] + workers.logs()
    assert len(set(sink.message_ids())) == EMAILS
    with sqlite3.connect(db_path) as db:
        sent = db.execute("SELECT COUNT(*) FROM touchpoints_touchpoint WHERE status = ?",
                          (Status.SENT,)).fetchone()[0]
    assert sent == EMAILS
