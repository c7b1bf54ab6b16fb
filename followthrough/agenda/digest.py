"""The morning digest: one email per person per business-local day, at their chosen time,
with today's personal touches, promises due or overdue, drafts waiting for approval, and
what customers wrote since yesterday (conversations)."""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough import events
from followthrough.agenda import services
from followthrough.agenda.models import Preference, Promise
from followthrough.channels import kinds
from followthrough.channels.mailqueue import queue_mail
from followthrough.conversations.models import Mailbox, Message
from followthrough.feedback.models import SurveyResponse
from followthrough.tenants.models import Membership
from followthrough.touchpoints.models import Status, Touchpoint

log = logging.getLogger(__name__)


def digest_context(business, user, now: dt.datetime) -> dict:
    zone = business.zone
    day = now.astimezone(zone).date()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    touches = list(
        Touchpoint.objects.filter(business=business, status=Status.PLANNED,
                                  channel__in=kinds.PERSONAL, due_at__lt=end)
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
        .select_related("customer").order_by("-priority", "due_at", "id")[:50]
    )
    promises = Promise.objects.filter(business=business, status=Promise.OPEN,
                                      due_on__lte=day + dt.timedelta(days=1))
    return {
        "business": business, "user": user, "day": day, "touches": touches,
        "overdue": list(promises.filter(due_on__lt=day).select_related("customer")),
        "due_soon": list(promises.filter(due_on__gte=day).select_related("customer")),
        "drafts": Touchpoint.objects.filter(business=business, status=Status.DRAFT).count(),
        "feedback": list(SurveyResponse.objects.filter(
            business=business, created_at__gte=now - dt.timedelta(days=1)
        ).select_related("customer")[:20]),
        **_replies(business, now),
        "site_url": settings.SITE_URL,
    }


def _replies(business, now: dt.datetime) -> dict:
    """What customers wrote since yesterday (automatic answers left out), how many
    messages from unknown senders wait on the Unmatched page, and the business's mailbox
    for replies when it cannot be read."""
    inbound = Message.objects.filter(business=business, direction=Message.IN,
                                     automatic=Message.NOT_AUTOMATIC)
    return {
        "replies": list(inbound.filter(received_at__gte=now - dt.timedelta(days=1))
                        .exclude(customer=None).select_related("customer")
                        .order_by("-received_at", "-id")[:20]),
        "unmatched": inbound.filter(customer=None).count(),
        "mailbox": next((box for box in Mailbox.objects.filter(business=business)
                         if box.failing), None),
    }


def send_due_digests(now: dt.datetime | None = None) -> int:
    """Send every digest that is due; returns how many went. Idempotent per person per local
    day: the day is claimed with a conditional update before the email goes."""
    now = now or timezone.now()
    sent = 0
    memberships = Membership.objects.select_related("business", "user").filter(
        user__is_active=True
    ).exclude(user__email="")
    seen_businesses = set()
    for membership in memberships:
        business, user = membership.business, membership.user
        if business.pk not in seen_businesses:
            seen_businesses.add(business.pk)
            services.publish_overdue_promises(business, now)
        preference, _ = Preference.objects.get_or_create(business=business, user=user)
        local = now.astimezone(business.zone)
        if not preference.digest_enabled or not _in_window(local, preference.digest_time):
            continue
        if preference.digest_sent_on == local.date():
            continue
        claimed = Preference.objects.filter(pk=preference.pk).exclude(
            digest_sent_on=local.date()
        ).update(digest_sent_on=local.date())
        if not claimed:
            continue
        context = digest_context(business, user, now)
        if not (context["touches"] or context["overdue"] or context["due_soon"]
                or context["drafts"] or context["feedback"] or context["replies"]
                or context["unmatched"] or context["mailbox"]):
            continue  # nothing to say: no email
        _send(business, user, context)
        _publish_ready(business, membership, context)
        sent += 1
    return sent


def _publish_ready(business, membership, context: dict) -> None:
    """`digest.ready` for webhooks and team chat: the counts, never a customer's name."""
    counts = {"touches": len(context["touches"]), "overdue": len(context["overdue"]),
              "due_soon": len(context["due_soon"]), "drafts": context["drafts"],
              "feedback": len(context["feedback"])}
    text = (f"{business.name}: today's digest for {membership.user.get_full_name() or 'the team'}"
            f": {counts['touches']} personal touches, {counts['overdue']} promises overdue, "
            f"{counts['due_soon']} due soon, {counts['drafts']} drafts to approve.")
    events.publish(business, events.DIGEST_READY, {
        "member": membership.public_id, "day": context["day"].isoformat(), **counts,
        "text": text})


# A digest that could not go at its time (the worker was down) still goes within this
# window, never late in the evening as a surprise.
SEND_WINDOW = dt.timedelta(hours=4)


def _in_window(local: dt.datetime, at: dt.time) -> bool:
    start = dt.datetime.combine(local.date(), at, tzinfo=local.tzinfo)
    return start <= local < start + SEND_WINDOW


def _send(business, user, context) -> None:
    """Queue the digest: the worker's mail queue sends it, with retries if the mail server
    is down. The day is claimed first, so a digest is never queued twice."""
    subject = f"Your day at {business.name}: {len(context['touches'])} personal " \
              f"touch{'es' if len(context['touches']) != 1 else ''}"
    with timezone.override(business.zone):
        text = render_to_string("agenda/messages/digest.txt", context)
    queue_mail(subject, text, [user.email], kind="digest", business=business)
