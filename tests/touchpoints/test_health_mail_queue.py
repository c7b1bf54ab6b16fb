"""The strict health check also watches the mail queue: alerts, invitations and password
resets sent from web pages wait there for the worker."""

import datetime as dt

from django.utils import timezone

from followthrough.channels.mailqueue import queue_mail
from followthrough.channels.models import QueuedMail
from followthrough.touchpoints import health


def queued_minutes_ago(minutes):
    mail = queue_mail("Join us", "Hello", ["robin@example.com"], kind="invitation")
    QueuedMail.objects.filter(pk=mail.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_it_reports_mail_that_has_waited_too_long(db):
    queued_minutes_ago(20)
    problems = health.check()["problems"]
    assert any("Queued mail" in problem for problem in problems)


def test_it_leaves_freshly_queued_mail_alone(db):
    queued_minutes_ago(2)
    assert not any("Queued mail" in problem for problem in health.check()["problems"])
