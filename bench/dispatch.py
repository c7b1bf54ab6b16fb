"""Dispatch: the worker sends N due emails to an aiosmtpd sink running in another process,
against raw smtplib sending the same N messages over one connection to the same sink, and
against the floor: raw smtplib with as many connections and threads as the worker has
(WORKER_SEND_THREADS). `distance` is the worker's rate over the floor's (goal >= 0.8).

The baseline builds each message with the standard library (text plus HTML alternative) and
sends it; the project does everything the worker does: claim, re-check consent and quiet
hours, render the templates, build the message with its headers and footer, send, and record
the outcome. Goal: the worker at least as fast (ratio ≥ 1.0).

BENCH_DISPATCH_MESSAGES overrides N for a quick run."""

import contextlib
import datetime as dt
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from bench.django_setup import setup

FLOOR_GOAL = 0.8

SINK = r"""
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Counter:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Counter.count += 1
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    handler = Counter()
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.readline():  # each line asks for the count so far
        print(Counter.count, flush=True)

asyncio.run(main())
"""

SUBJECT = "Thanks, {{ customer_first_name }}!"
BODY = (
    "Hi {{ customer_first_name }},\n\nThank you for choosing {{ business_name }} for "
    "{{ engagement_description }}. If anything is not right, reply to this email or call "
    "{{ business_phone }}.\n\nIf you have a minute, a review helps us a lot: {{ review_link }}"
    "\n\n{{ sender_name }}"
)


@contextlib.contextmanager
def sink_process():
    process = subprocess.Popen(
        [sys.executable, "-c", SINK], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())

        def received() -> int:
            process.stdin.write("count\n")
            process.stdin.flush()
            return int(process.stdout.readline())

        yield port, received
    finally:
        process.kill()
        process.wait()


def raw_smtplib(port: int, messages: int, connections: int = 1) -> float:
    """Messages per second over `connections` smtplib connections, one thread each, the
    messages shared out evenly."""
    def send(numbers):
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in numbers:
                message = EmailMessage()
                message["From"] = "Sam at Riverside <sam@riverside.example>"
                message["To"] = f"Customer {n} <c{n}@example.com>"
                message["Subject"] = f"Thanks, Customer {n}!"
                message["Message-ID"] = f"<{n:032x}@riverside.example>"
                text = f"Hi Customer {n},\n\n{BODY}"
                message.set_content(text)
                message.add_alternative(f"<p>{text}</p>", subtype="html")
                smtp.send_message(message)

    threads = [threading.Thread(target=send, args=(range(i, messages, connections),))
               for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return messages / (time.perf_counter() - started)


def make_due_touchpoints(messages: int) -> None:
    from django.utils import timezone

    from followthrough.customers.models import Customer, Engagement
    from followthrough.playbooks.models import Playbook, Step
    from followthrough.tenants.models import Business
    from followthrough.touchpoints.models import Touchpoint

    now = timezone.now()
    due = now - dt.timedelta(minutes=1)
    business = Business.objects.create(
        slug="riverside", name="Riverside Plumbing", timezone="UTC", sender_name="Sam",
        sender_email="sam@riverside.example", postal_address="12 Mill Lane, Hudson, NY",
        website="https://riverside.example", phone="+1 518 555 0142",
        quiet_hours_start=(now + dt.timedelta(hours=6)).time(),
        quiet_hours_end=(now + dt.timedelta(hours=7)).time(),
    )
    playbook = Playbook.objects.create(business=business, slug="after", name="After")
    step = Step.objects.create(playbook=playbook, name="Thanks", subject=SUBJECT, body=BODY)
    customers = Customer.objects.bulk_create(
        Customer(business=business, name=f"Customer {n}", email=f"c{n}@example.com")
        for n in range(messages)
    )
    engagements = Engagement.objects.bulk_create(
        Engagement(business=business, customer=customer, won_at=due, kind="Job",
                   description="a new water heater")
        for customer in customers
    )
    Touchpoint.objects.bulk_create(
        (
            Touchpoint(
                business=business, engagement=engagement, customer=engagement.customer,
                step=step, idempotency_key=f"{engagement.public_id}:{step.public_id}:0",
                name=step.name, channel="email", stage=4, element="thank_you",
                purpose="relationship", due_at=due, local_date=due.date(), local_time=due.time(),
            )
            for engagement in engagements
        ),
        batch_size=2000,
    )


def worker_pass(messages: int) -> float:
    from followthrough.touchpoints.worker import run_once

    started = time.perf_counter()
    report = run_once()
    elapsed = time.perf_counter() - started
    assert report.sent == messages, report
    return messages / elapsed


def run(messages: int | None = None) -> dict:
    messages = messages or int(os.environ.get("BENCH_DISPATCH_MESSAGES", 10_000))
    setup(Path(tempfile.mkdtemp(prefix="bench-dispatch-")) / "dispatch.sqlite3")
    from django.conf import settings

    with sink_process() as (port, received):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        make_due_touchpoints(messages)
        threads = settings.WORKER_SEND_THREADS
        baseline = raw_smtplib(port, messages)
        floor = raw_smtplib(port, messages, threads)
        project = worker_pass(messages)
        assert received() == 3 * messages
    return {
        "name": "dispatch",
        "messages": messages,
        "project": f"{project:.0f} messages/s (worker, {threads} threads)",
        "baseline": f"{baseline:.0f} messages/s (raw smtplib, one connection)",
        "floor": f"{floor:.0f} messages/s (raw smtplib, {threads} connections in "
                 f"{threads} threads, as the worker)",
        "ratio": round(project / baseline, 2),
        "distance": round(project / floor, 2),
        "goal": f"ratio >= 1.0; distance to the floor >= {FLOOR_GOAL}",
        "met": project / baseline >= 1.0 and project / floor >= FLOOR_GOAL,
    }


if __name__ == "__main__":
    print(run())
