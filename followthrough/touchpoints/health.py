"""Health for monitoring: is the database answering, is a worker alive, and how far behind
is sending. No tenant data: only install-wide numbers.

    GET /healthz             200 while the database answers, 503 when it does not
    GET /healthz?strict=1    also 503 when no worker has beaten recently, sending lags,
                             sending fails (an SMTP outage), a batch is stuck, or
                             queued mail from web pages has waited too long

The JSON names what is wrong in `problems`, so an alert can say it plainly."""

import datetime as dt

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from followthrough.touchpoints.models import Status, Touchpoint, WorkerHeartbeat

# A worker beats after every pass and every few seconds mid-pass; two minutes of silence
# means it is gone or stuck. A due message two minutes old means sending is behind.
MAX_BEAT_AGE = 120
MAX_LAG = 120
# An outage: this many sends failed and were put back to retry in the last ten minutes,
# and no live worker's last busy pass sent anything. Derived from the touchpoint rows and
# the heartbeats the worker already writes.
FAILURE_WINDOW = dt.timedelta(minutes=10)
MIN_FAILURES = 3
# A row still `sending` this long after its lease ran out: no worker is reaping, so the
# batch is stuck (a live worker puts such rows back at the start of every pass).
STUCK_GRACE = dt.timedelta(minutes=1)
# Mail from web pages (alerts, invitations, password resets) waits in the mail queue; a
# quarter of an hour means retries are not getting through.
MAX_QUEUED_MAIL_AGE = dt.timedelta(minutes=15)


def check(now: dt.datetime | None = None) -> dict:
    from followthrough.channels.mailqueue import waiting_since
    from followthrough.channels.transports import sendable_channels
    from followthrough.touchpoints.claiming import sendable
    from followthrough.touchpoints.worker import due_rows  # the worker imports a lot

    now = now or timezone.now()
    report: dict = {"status": "ok", "database": "ok", "problems": []}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = list(WorkerHeartbeat.objects.order_by("-last_beat")
                     .values_list("last_beat", flat=True)[:1000])
        waiting = sendable(due_rows(now).filter(channel__in=sorted(sendable_channels())))
        oldest_due = waiting.order_by("due_at").values_list("due_at", flat=True).first()
        failing = recent_send_failures(now)
        stuck = Touchpoint.objects.filter(status=Status.SENDING,
                                          lease_until__lt=now - STUCK_GRACE).count()
        mail_since = waiting_since()
        last_passes = list(WorkerHeartbeat.objects.filter(
            last_beat__gte=now - dt.timedelta(seconds=MAX_BEAT_AGE))
            .values_list("last_pass", flat=True))
    except Exception as exc:  # any failure here means the database is not usable
        return {"status": "down", "database": f"error: {type(exc).__name__}",
                "problems": ["The database does not answer."]}
    age = round((now - beats[0]).total_seconds(), 1) if beats else None
    lag = round(max(0.0, (now - oldest_due).total_seconds()), 1) if oldest_due else 0.0
    live = sum(1 for beat in beats if (now - beat).total_seconds() <= MAX_BEAT_AGE)
    report["worker"] = {"live": live, "last_beat_age_seconds": age}
    report["lag_seconds"] = lag
    report["sending"] = {"failed_recently": failing, "stuck": stuck}
    if age is None or age > MAX_BEAT_AGE:
        report["problems"].append("No worker has reported in the last two minutes.")
    if lag > MAX_LAG:
        report["problems"].append(f"The oldest due message has waited {lag:.0f} seconds.")
    if failing >= MIN_FAILURES and not any(p and p.get("sent") for p in last_passes):
        report["problems"].append(f"{failing} sends failed in the last ten minutes and none "
                                  "went out: is the mail server down?")
    if stuck:
        report["problems"].append(f"{stuck} messages are stuck in sending past their lease.")
    if mail_since and now - mail_since > MAX_QUEUED_MAIL_AGE:
        minutes = (now - mail_since).total_seconds() // 60
        report["problems"].append(f"Queued mail (alerts, invitations, password resets) has "
                                  f"waited {minutes:.0f} minutes.")
    if report["problems"]:
        report["status"] = "degraded"
    return report


def recent_send_failures(now: dt.datetime) -> int:
    """Rows a send failed for and the worker put back to retry in the last ten minutes.
    A retried row is planned again with its due time at most MAX_BACKOFF ahead, so the
    worker's partial index over planned rows bounds the read."""
    from followthrough.touchpoints.worker import MAX_BACKOFF, due_rows

    return (due_rows(now + MAX_BACKOFF)
            .filter(attempts__gt=0, updated_at__gte=now - FAILURE_WINDOW)
            .exclude(last_error="").count())


@never_cache
@require_GET
def healthz(request):
    report = check()
    strict = request.GET.get("strict") in {"1", "true", "yes"}
    failing = report["status"] == "down" or (strict and report["status"] != "ok")
    return JsonResponse(report, status=503 if failing else 200)
