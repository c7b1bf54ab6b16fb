"""The demo's Outbox starts full: every built-in email, sent through the worker's path."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import pre_save

from followthrough.channels import kinds
from followthrough.channels.models import OutboxMessage
from followthrough.demo.loader import DEMO_SLUG, load_demo
from followthrough.playbooks.library import BUILTIN_PLAYBOOKS
from followthrough.playbooks.planner import in_quiet_hours
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import Status, Touchpoint

OUTBOX = "followthrough.channels.outbox.OutboxEmailBackend"
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = OUTBOX


def late_evening() -> dt.datetime:
    """23:30 in the demo's zone, yesterday: inside anyone's quiet hours."""
    yesterday = dt.datetime.now(LONDON).date() - dt.timedelta(days=1)
    return dt.datetime.combine(yesterday, dt.time(23, 30), tzinfo=LONDON)


def test_it_sends_an_example_of_every_built_in_email(db, outbox):
    load_demo()
    names = {s["name"] for book in BUILTIN_PLAYBOOKS for s in book["steps"]
             if s["channel"] == kinds.EMAIL}
    sent = Touchpoint.objects.filter(status=Status.SENT, channel=kinds.EMAIL)
    in_outbox = set(OutboxMessage.objects.filter(business_slug=DEMO_SLUG)
                    .values_list("message_id", flat=True))
    shown = {row.name for row in sent if row.message_id in in_outbox}
    assert shown == names


def test_it_sends_each_email_through_the_worker(db, outbox):
    load_demo()
    sent = Touchpoint.objects.filter(status=Status.SENT)
    shown = OutboxMessage.objects.filter(business_slug=DEMO_SLUG)
    assert sent.count() == shown.filter(message_id__in=sent.values("message_id")).count()
    # The rest is the owner's alert and the invitation, which are the business's mail too.
    assert shown.exclude(message_id__in=sent.values("message_id")).count() == 2
    assert not sent.filter(attempts=0).exists()
    assert not sent.filter(message_id="").exists()


def test_it_fills_the_outbox_when_loaded_in_quiet_hours(db, outbox):
    load_demo(now=late_evening())
    assert OutboxMessage.objects.filter(business_slug=DEMO_SLUG).count() > 50


def test_it_sends_every_example_outside_quiet_hours(db, outbox):
    load_demo(now=late_evening())
    business = Business.objects.get(slug=DEMO_SLUG)
    quiet = (business.quiet_hours_start, business.quiet_hours_end)
    for sent_at in Touchpoint.objects.filter(status=Status.SENT).values_list(
            "completed_at", flat=True):
        assert not in_quiet_hours(sent_at.astimezone(business.zone).time(), quiet)


def test_it_sends_the_owner_alert_and_an_invitation(db, outbox):
    load_demo()
    subjects = list(OutboxMessage.objects.filter(business_slug=DEMO_SLUG)
                    .values_list("subject", flat=True))
    assert any(subject.endswith("is unhappy: please call them today") for subject in subjects)
    assert "Join Riverside Plumbing & Heating on Followthrough" in subjects


def test_it_changes_touchpoints_only_through_the_lifecycle(db, outbox):
    saved_over = []

    def spy(sender, instance, **kwargs):
        if instance.pk is not None:
            saved_over.append(instance.status)

    pre_save.connect(spy, sender=Touchpoint)
    try:
        load_demo()
    finally:
        pre_save.disconnect(spy, sender=Touchpoint)
    assert saved_over == []


def test_it_refuses_an_email_backend_that_would_really_send(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with pytest.raises(ImproperlyConfigured):
        load_demo()
    assert not Business.objects.filter(slug=DEMO_SLUG).exists()


def test_it_lists_each_example_at_the_time_it_was_sent(db, outbox):
    load_demo(now=late_evening())
    sent = dict(Touchpoint.objects.filter(status=Status.SENT)
                .values_list("message_id", "completed_at"))
    listed = dict(OutboxMessage.objects.filter(message_id__in=sent)
                  .values_list("message_id", "created_at"))
    assert listed == sent
