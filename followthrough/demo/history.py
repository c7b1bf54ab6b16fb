"""The demo's past, played forward: every touchpoint due before yesterday happens at its own
due time, as if the business had been using Followthrough all along.

Emails go out through the worker's own path (claimed through the lifecycle, re-checked,
rendered, sent by the configured email backend, recorded), so the demo's Outbox holds real
messages exactly as a customer receives them. Each one is sent as of its due time, which
the planner put outside quiet hours: a demo loaded late in the evening still has a full
Outbox, and no rule is bent for anyone. Calls and cards are marked done or skipped, and
progress-update drafts are written and approved, through the same services a person uses.
"""

import datetime as dt
import random
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from followthrough.agenda.services import approve
from followthrough.channels.models import OutboxMessage
from followthrough.channels.rendering import render_subject, render_text
from followthrough.tokens import new_public_id
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.merge import merge_context
from followthrough.touchpoints.models import Reason, Status, Touchpoint
from followthrough.touchpoints.worker import Dispatcher, PassReport, process

# The email backends history may be sent through: the demo Outbox, and the test backend.
# Anything else would mail the demo's made-up addresses for real.
SAFE_BACKENDS = frozenset({
    "followthrough.channels.outbox.OutboxEmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
})

DONE_NOTES = {
    "call": [
        "Reached them, all happy.", "Left a voicemail.",
        "Good chat; they may need a second radiator.",
    ],
    "card": ["Card posted.", "Wrote it on the van before the next job."],
    "visit": ["Dropped by; everything working."],
}
# What the owner wrote into a progress update before approving it: done, next.
PROGRESS_NOTES = [
    ("The old pipework is out and the new valves are fitted.",
     "Pressure test on Thursday morning; we'll text when we're on the way."),
    ("Parts arrived and the first fix is done.",
     "Second fix early next week, then a final check with you."),
    ("Walls are patched and the radiators are back on.",
     "Decorating touch-ups on Monday; nothing needed from you."),
]
PLACEHOLDER = re.compile(r"\[[^\]\n]*\]")


def check_backend() -> None:
    if settings.EMAIL_BACKEND not in SAFE_BACKENDS:
        raise ImproperlyConfigured(
            "The demo sends its history to the Outbox; run it with FOLLOWTHROUGH_DEMO=1 "
            f"(EMAIL_BACKEND is {settings.EMAIL_BACKEND})."
        )


def play(business, until: dt.datetime, rng: random.Random) -> PassReport:
    """Everything of `business` due before `until` happens, oldest first."""
    check_backend()
    report = PassReport()
    due = (Touchpoint.objects.filter(business=business, due_at__lt=until,
                                     status__in=(Status.PLANNED, Status.DRAFT))
           .order_by("due_at", "id"))
    # One send thread: it shares the loader's connection and transaction.
    with Dispatcher(1) as dispatcher:
        for touchpoint in due:
            happen(touchpoint, dispatcher, report, rng)
    return report


def happen(touchpoint: Touchpoint, dispatcher: Dispatcher, report: PassReport,
           rng: random.Random) -> None:
    if touchpoint.status == Status.DRAFT:
        subject, body = draft_text(touchpoint)
        touchpoint = approve(touchpoint, subject, written_update(body, rng))
    if touchpoint.is_automated:
        send_as_of(touchpoint, touchpoint.due_at, dispatcher, report)
    elif rng.random() < 0.85:
        lifecycle.change(touchpoint, Status.DONE, completed_at=touchpoint.due_at,
                         outcome_note=rng.choice(DONE_NOTES.get(touchpoint.channel, ["Done."])))
    else:
        lifecycle.change(touchpoint, Status.SKIPPED, completed_at=touchpoint.due_at,
                         reason_code=Reason.BY_PERSON,
                         outcome_note="Could not reach them this time.")


def send_as_of(touchpoint: Touchpoint, now: dt.datetime, dispatcher: Dispatcher,
               report: PassReport) -> None:
    """The worker's pass for one row, at `now`: claimed (planned → sending, with a lease),
    re-checked, composed, sent and recorded by worker.process."""
    token = new_public_id()
    lease = now + dt.timedelta(seconds=settings.WORKER_LEASE_SECONDS)
    with transaction.atomic():
        claimed = lifecycle.transition(
            Touchpoint.objects.filter(pk=touchpoint.pk), Status.SENDING, from_=Status.PLANNED,
            claimed_by=token, lease_until=lease, updated_at=now,
        )
        if not claimed:
            return
        rows = list(Touchpoint.objects.filter(pk=touchpoint.pk, claimed_by=token)
                    .select_related("business", "customer", "engagement", "step"))
        process(rows, token, now, dispatcher, report)
        for row in rows:
            if row.status == Status.SENT:
                # The Outbox lists a message at the time it was kept; in the story that is
                # its send time, the one the customer's timeline shows too.
                OutboxMessage.objects.filter(business_slug=row.business.slug,
                                             message_id=row.message_id).update(created_at=now)


def draft_text(touchpoint: Touchpoint) -> tuple[str, str]:
    """The draft as Today shows it: its stored text, or its step's templates rendered."""
    if touchpoint.rendered_body.strip():
        return touchpoint.rendered_subject, touchpoint.rendered_body
    context = merge_context(touchpoint)
    return (render_subject(touchpoint.step.subject, context),
            render_text(touchpoint.step.body, context))


def written_update(body: str, rng: random.Random) -> str:
    """The draft with its [placeholders] filled in, as the owner would before approving."""
    done, next_ = rng.choice(PROGRESS_NOTES)
    lines = []
    for line in body.splitlines():
        if line.startswith("From you:"):
            continue
        fill = done if line.startswith("Done") else next_
        lines.append(PLACEHOLDER.sub(fill, line))
    return "\n".join(lines)
