"""Web: the survey page (/s/<token>, anonymous) and the Today page (an owner signed in with a
session cookie) under load, against a hello-world Django view on the same gunicorn server.
Goals (issue 17): the survey page reaches at least 0.5 of the hello-world view's requests per
second, and Today at least 0.1. The hello-world view is the floor: the same server, settings
and middleware doing nothing else.

The server is the documented production command, `gunicorn --workers 3` (sync workers), on
loopback, with the project's settings and middleware; the only change is a bench URLconf
(bench/web_urls.py) that adds /bench-hello/ in front of the project's URLs. The database is a
fresh SQLite file (the default install) holding one business, its owner, 200 customers, the
surveyed touchpoint, 10 calls due today and 40 emails planned for the coming days.

PUBLIC_RATE_LIMIT_PER_MINUTE is set to 1,000,000,000 for the server: /s/ is limited to 60
requests a minute per IP by default, and every request here comes from 127.0.0.1. The limiter
itself still runs on every survey request, as in production: a GET reads the address's count
(it is counted only when it misses, which these do not).

Besides requests a second, it reports each page's server CPU a request (`server_cpu_ms`: the
gunicorn workers' user and system time from /proc over the load, divided by the requests
served) and hello-world's server time over each page's (`server_ratio`). The load generator
shares the two cores, so requests a second also carry its cost; the server's own time is the
steadier figure. The goals are judged on requests a second.

Load: wrk (2 threads, BENCH_WEB_CONNECTIONS connections, BENCH_WEB_SECONDS per URL) when it
is installed; otherwise a bounded Python thread pool of keep-alive clients. Before timing,
each URL is fetched once and must answer 200 (the Today page must not redirect to sign-in);
any non-2xx answer under load fails the benchmark.

    BENCH_WEB_SECONDS       seconds per URL (default 10)
    BENCH_WEB_CONNECTIONS   concurrent connections (default 16)
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"survey": 0.5, "today": 0.1}
WORKERS = 3


def seed_main() -> None:
    """In the seeding process: migrate, create the data, print RESULT {token, session}."""
    import datetime as dt

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from followthrough.customers.models import Customer, Engagement
    from followthrough.tenants.models import Business, Membership
    from followthrough.touchpoints.models import Status, Touchpoint

    call_command("migrate", verbosity=0)
    now = timezone.now()
    business = Business.objects.create(
        slug="riverside", name="Riverside Plumbing", timezone="UTC", sender_name="Sam",
        sender_email="sam@riverside.example", postal_address="12 Mill Lane, Hudson, NY",
    )
    user = get_user_model().objects.create_user(
        username="owner@riverside.example", email="owner@riverside.example",
        password="bench-only-password-123")  # noqa: S106
    Membership.objects.create(business=business, user=user, role=Membership.OWNER)
    customers = Customer.objects.bulk_create(
        Customer(business=business, name=f"Customer {n}", email=f"c{n}@example.com",
                 phone=f"+1518555{n:04d}") for n in range(200))
    engagements = Engagement.objects.bulk_create(
        Engagement(business=business, customer=c, won_at=now - dt.timedelta(days=3),
                   kind="Job", description="a new water heater") for c in customers)

    def touch(n, engagement, **values):
        return Touchpoint(business=business, engagement=engagement,
                          customer_id=engagement.customer_id,
                          idempotency_key=f"{engagement.public_id}:bench:{n}",
                          local_date=values["due_at"].date(),
                          local_time=values["due_at"].time(), **values)

    survey = touch(0, engagements[0], name="How did we do?", channel="email", stage=4,
                   element="survey", purpose="relationship", status=Status.SENT,
                   due_at=now - dt.timedelta(hours=2), completed_at=now - dt.timedelta(hours=2))
    rows = [survey]
    rows += [touch(1, e, name="Call to check in", channel="call", stage=4, element="other",
                   purpose="relationship", status=Status.PLANNED,
                   due_at=now - dt.timedelta(minutes=n)) for n, e in enumerate(engagements[1:11])]
    rows += [touch(2, e, name="Thanks", channel="email", stage=4, element="thank_you",
                   purpose="relationship", status=Status.PLANNED,
                   due_at=now + dt.timedelta(hours=3 + n))
             for n, e in enumerate(engagements[11:51])]
    Touchpoint.objects.bulk_create(rows)
    client = Client()
    client.force_login(user)
    token = Touchpoint.objects.get(pk=Touchpoint.objects.get(
        idempotency_key=survey.idempotency_key).pk).link_token
    print("RESULT " + json.dumps({"token": token,
                                  "session": client.cookies["sessionid"].value}), flush=True)


def workers_cpu_seconds(master: int) -> float:
    """CPU (user and system) of the gunicorn master's worker processes, from /proc: the
    server's own time, without the load generator's, which shares the machine."""
    total = 0.0
    for pid in subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                              text=True).stdout.split():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "DATABASE_URL": f"sqlite:///{folder / 'web.sqlite3'}",
        "SECRET_KEY": "bench-only-secret-key-" + "w" * 40, "FOLLOWTHROUGH_VAR_DIR": str(folder),
        "FOLLOWTHROUGH_DEMO": "0", "LOG_LEVEL": "WARNING", "DEBUG": "0",
        "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000000", "PYTHONPATH": str(ROOT),
    }


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def fetch_once(url: str, cookie: str) -> int:
    """The status of one GET, redirects not followed."""
    target = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        conn.request("GET", target.path, headers={"Cookie": cookie} if cookie else {})
        return conn.getresponse().status
    finally:
        conn.close()


def load_wrk(url: str, cookie: str, seconds: int, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*", output)
    if bad or errors:
        raise RuntimeError(f"errors under load for {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def load_python(url: str, cookie: str, seconds: int, connections: int) -> float:
    """Keep-alive clients on threads for `seconds`; requests per second."""
    target = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    counts, errors = [0] * connections, []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        while time.monotonic() < deadline:
            try:
                conn.request("GET", target.path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
                    return
                counts[i] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{url} answered {errors[0]} under load")
    return sum(counts) / (time.monotonic() - started)


def run() -> dict:
    seconds = int(os.environ.get("BENCH_WEB_SECONDS", 10))
    connections = int(os.environ.get("BENCH_WEB_CONNECTIONS", 16))
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    env = environment(folder)
    seeded = subprocess.run(
        [sys.executable, "-c", "import bench.web as w; w.seed_main()"],
        env=env, cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in seeded.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"seeding failed:\n{seeded.stdout}\n{seeded.stderr}")
    data = json.loads(lines[0][len("RESULT "):])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.web_wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning"],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    session = f"sessionid={data['session']}"
    urls = {"hello": (f"{base}/bench-hello/", ""), "survey": (f"{base}/s/{data['token']}", ""),
            "today": (f"{base}/today/", session)}
    tool = "wrk" if shutil.which("wrk") else "python"
    load = load_wrk if tool == "wrk" else load_python
    rates, server_ms = {}, {}
    try:
        wait_until_up(port, server)
        for name, (url, cookie) in urls.items():
            status = fetch_once(url, cookie)
            if status != 200:
                raise RuntimeError(f"{name}: {url} answered {status} before the load")
            load(url, cookie, 2, connections)  # warm every worker
        for name, (url, cookie) in urls.items():
            before = workers_cpu_seconds(server.pid)
            rates[name] = load(url, cookie, seconds, connections)
            served = rates[name] * seconds
            server_ms[name] = (workers_cpu_seconds(server.pid) - before) / served * 1000
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratios = {name: round(rates[name] / rates["hello"], 2) for name in GOALS}
    server_ratios = {name: round(server_ms["hello"] / server_ms[name], 2) for name in GOALS}
    return {
        "name": "web",
        "load": f"{tool}, {connections} connections, {seconds} s per URL, gunicorn "
                f"--workers {WORKERS} (sync), SQLite",
        "project": (f"survey {rates['survey']:.0f} requests/s, Today (signed in) "
                    f"{rates['today']:.0f} requests/s"),
        "baseline": f"hello-world view {rates['hello']:.0f} requests/s",
        "ratio": ratios,
        "server_cpu_ms": {name: round(ms, 2) for name, ms in server_ms.items()},
        "server_ratio": server_ratios,
        "goal": " and ".join(f"{name} >= {goal} of hello-world" for name, goal in GOALS.items())
                + " (requests a second; server_ratio compares the workers' CPU a request)",
        "met": all(ratios[name] >= goal for name, goal in GOALS.items()),
    }


if __name__ == "__main__":
    print(run())
