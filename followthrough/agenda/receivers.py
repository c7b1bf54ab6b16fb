"""The agenda's periodic work, run by the worker once a minute through worker_tick.

Both jobs are safe when several workers run: the worker sends worker_tick from one process
per minute (a database lease), the digest claims each person's day with a conditional
update, and reminders are keyed so a second top-up finds them already there."""

import datetime as dt
import logging

from django.dispatch import receiver

from followthrough.agenda.digest import send_due_digests
from followthrough.agenda.services import plan_all_reminders
from followthrough.touchpoints.signals import worker_tick
from followthrough.touchpoints.worker import take_lease

# Reminders are planned months ahead; topping them up once an hour is plenty.
REMINDERS_EVERY = dt.timedelta(hours=1)

log = logging.getLogger(__name__)


@receiver(worker_tick, dispatch_uid="agenda.send_due_digests")
def send_digests(sender, now, **kwargs):
    sent = send_due_digests(now)
    if sent:
        log.info("sent %d digest(s)", sent)
    return sent


@receiver(worker_tick, dispatch_uid="agenda.plan_all_reminders")
def top_up_reminders(sender, now, **kwargs):
    if not take_lease("agenda.reminders", "worker", now + REMINDERS_EVERY, now):
        return 0
    planned = plan_all_reminders(now)
    if planned:
        log.info("planned %d maintenance reminder(s)", planned)
    return planned
