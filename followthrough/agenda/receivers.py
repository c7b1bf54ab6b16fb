"""The agenda's periodic work, run by the worker once a minute through worker_tick, and the
mail queue, delivered after every pass.

All are safe when several workers run: the worker sends worker_tick from one process
per minute (a database lease), the digest claims each person's day with a conditional
update, reminders are keyed so a second top-up finds them already there, and the mail
queue claims its rows with a conditional update.

The mail queue hangs on pass_finished rather than worker_tick: a password reset or an
invitation should arrive within seconds (one idle pause, WORKER_IDLE_SECONDS), not at the
next minute's tick. Every worker delivers; the claim keeps them apart."""

import datetime as dt
import logging

from django.dispatch import receiver

from followthrough.agenda.digest import send_due_digests
from followthrough.agenda.services import plan_all_reminders
from followthrough.channels.mailqueue import deliver_due, prune
from followthrough.touchpoints.signals import worker_tick
from followthrough.touchpoints.worker import pass_finished, take_lease

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


@receiver(pass_finished, dispatch_uid="agenda.deliver_queued_mail")
def deliver_queued_mail(sender, **kwargs):
    return deliver_due()


@receiver(worker_tick, dispatch_uid="agenda.prune_queued_mail")
def prune_queued_mail(sender, now, **kwargs):
    return prune(now)
