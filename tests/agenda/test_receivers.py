"""The worker's minute tick runs the agenda's digest and tops up maintenance reminders."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core import mail

from followthrough.agenda import services
from followthrough.agenda.models import ServiceInterval
from followthrough.channels import kinds
from followthrough.channels.mailqueue import deliver_due
from followthrough.customers.models import Engagement
from followthrough.touchpoints.models import Touchpoint
from followthrough.touchpoints.signals import worker_tick

NY = ZoneInfo("America/New_York")


def test_it_sends_due_digests_on_the_worker_tick(business, owner, touch):
    touch(due_at=dt.datetime(2025, 6, 10, 10, tzinfo=NY))
    worker_tick.send_robust(sender=None, now=dt.datetime(2025, 6, 10, 7, 31, tzinfo=NY))
    deliver_due()  # the digest leaves through the mail queue, after the worker's pass
    assert [message.to for message in mail.outbox] == [[owner.email]]


def test_it_tops_up_reminders_on_the_worker_tick_once_an_hour(business, customer, call_step):
    delivered = dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC)
    engagement = Engagement.objects.create(
        business=business, customer=customer, won_at=delivered - dt.timedelta(days=1),
        delivered_at=delivered)
    interval = ServiceInterval.objects.create(business=business, name="Reorder", every=6,
                                              unit="weeks", lead_days=3, channel=kinds.CALL)
    services.start_service_plan(engagement, interval, delivered + dt.timedelta(days=1))
    reminders = Touchpoint.objects.filter(idempotency_key__startswith="maintenance:")
    before = reminders.count()
    april = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
    worker_tick.send_robust(sender=None, now=april)
    assert reminders.count() == before + 1
    # Within the hour the top-up is not repeated, even on another worker.
    Touchpoint.objects.filter(idempotency_key__startswith="maintenance:").delete()
    worker_tick.send_robust(sender=None, now=april + dt.timedelta(minutes=5))
    assert reminders.count() == 0
