"""The worker against a real SMTP server (aiosmtpd on 127.0.0.1)."""

import datetime as dt

from django.db import connection

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.models import OutboxMessage
from followthrough.channels.transports import message_id_for
from followthrough.customers.consent import record_consent
from followthrough.customers.models import Customer
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status, Touchpoint
from tests.touchpoints.conftest import NOON


def refreshed(touchpoint):
    touchpoint.refresh_from_db()
    return touchpoint


def test_it_sends_a_due_email_with_the_message_id_derived_from_the_key(sink, make_touchpoint):
    tp = make_touchpoint()
    report = worker.run_once(now=NOON)
    assert (report.claimed, report.sent) == (1, 1)
    [message] = sink.messages
    assert message["Message-ID"] == message_id_for(tp.idempotency_key, tp.business.from_email)
    assert message["Message-ID"].endswith("@riverside.example>")
    assert refreshed(tp).message_id == message["Message-ID"]


def test_it_marks_the_row_sent_with_a_snapshot_of_what_went_out(sink, make_touchpoint):
    tp = make_touchpoint()
    worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (tp.status, tp.attempts, tp.completed_at) == (Status.SENT, 1, NOON)
    assert tp.rendered_subject == "Thanks, Jamie!"
    assert "Thanks for choosing Riverside Plumbing for a new water heater." in tp.rendered_body
    assert tp.recipient == "jamie@customer.example"
    assert (tp.lease_until, tp.claimed_by) == (None, "")


def test_it_adds_one_click_unsubscribe_headers_to_relationship_mail(sink, make_touchpoint):
    make_touchpoint(purpose=v.RELATIONSHIP)
    worker.run_once(now=NOON)
    [message] = sink.messages
    assert message["List-Unsubscribe"].strip().startswith("<http://testserver/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Followthrough-Business"] == "riverside-plumbing"


def test_it_adds_the_postal_address_footer_to_relationship_mail(sink, make_touchpoint):
    make_touchpoint(purpose=v.RELATIONSHIP)
    worker.run_once(now=NOON)
    [message] = sink.messages
    text, html = [part.get_payload(decode=True).decode() for part in message.get_payload()]
    assert "12 Mill Lane, Hudson, NY 12534" in text
    assert "Unsubscribe: http://testserver/u/" in text
    assert "12 Mill Lane, Hudson, NY 12534" in html


def test_it_escapes_customer_values_in_the_html_part_only(sink, make_touchpoint):
    make_touchpoint(name="Jamie <O'Brien>")
    worker.run_once(now=NOON)
    text, html = [part.get_payload(decode=True).decode() for part in sink.messages[0].get_payload()]
    assert "Hi Jamie," in text
    assert "Sam at Riverside" in html and "<p>" in html


def test_it_sends_transactional_mail_without_unsubscribe_headers(sink, make_touchpoint):
    make_touchpoint(purpose=v.TRANSACTIONAL)
    worker.run_once(now=NOON)
    [message] = sink.messages
    assert message["List-Unsubscribe"] is None
    assert "Mill Lane" not in message.get_payload()[0].get_payload(decode=True).decode()


def test_it_retries_after_4xx_with_backoff_and_sends_on_the_third_attempt(
    sink, make_touchpoint, settings
):
    settings.WORKER_BACKOFF_SECONDS = 60
    tp = make_touchpoint()
    sink.answer("451 4.7.1 Greylisted, try later", times=2)
    assert worker.run_once(now=NOON).retried == 1
    tp = refreshed(tp)
    assert (tp.status, tp.attempts) == (Status.PLANNED, 1)
    assert tp.due_at == NOON + dt.timedelta(minutes=1)
    assert "451" in tp.last_error
    assert worker.run_once(now=NOON + dt.timedelta(seconds=30)).claimed == 0
    assert worker.run_once(now=NOON + dt.timedelta(minutes=1)).retried == 1
    assert refreshed(tp).due_at == NOON + dt.timedelta(minutes=3)
    assert worker.run_once(now=NOON + dt.timedelta(minutes=3)).sent == 1
    assert (refreshed(tp).status, refreshed(tp).attempts) == (Status.SENT, 3)
    assert len(sink.messages) == 1


def test_it_fails_a_5xx_for_good_with_the_reason(sink, make_touchpoint):
    tp = make_touchpoint()
    sink.answer("550 5.1.1 No such mailbox")
    report = worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (report.failed, tp.status) == (1, Status.FAILED)
    assert "550" in tp.last_error and "No such mailbox" in tp.last_error
    assert worker.run_once(now=NOON + dt.timedelta(days=1)).claimed == 0


def test_it_retries_while_the_server_is_down_and_sends_when_it_is_back(sink, make_touchpoint):
    tp = make_touchpoint()
    sink.stop()
    assert worker.run_once(now=NOON).retried == 1
    assert "unreachable" in refreshed(tp).last_error
    sink.start()
    assert worker.run_once(now=NOON + dt.timedelta(hours=1)).sent == 1
    assert refreshed(tp).status == Status.SENT
    assert len(sink.messages) == 1


def test_it_gives_up_after_the_last_attempt(sink, make_touchpoint, settings):
    settings.WORKER_MAX_ATTEMPTS = 2
    tp = make_touchpoint()
    sink.answer("421 4.3.2 Shutting down", times=5)
    worker.run_once(now=NOON)
    report = worker.run_once(now=NOON + dt.timedelta(hours=1))
    tp = refreshed(tp)
    assert (report.failed, tp.status, tp.attempts) == (1, Status.FAILED, 2)
    assert tp.last_error.startswith("Gave up after 2 attempts")


def test_it_skips_a_customer_who_withdrew_consent(sink, make_touchpoint):
    tp = make_touchpoint(purpose=v.RELATIONSHIP)
    record_consent(tp.customer, kinds.EMAIL, v.RELATIONSHIP, False, "unsubscribe link")
    report = worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (report.skipped, tp.status, tp.outcome_note) == (1, Status.SKIPPED, "unsubscribed")
    assert sink.messages == []


def test_it_skips_marketing_mail_without_an_opt_in(sink, make_touchpoint):
    tp = make_touchpoint(purpose=v.MARKETING)
    worker.run_once(now=NOON)
    assert refreshed(tp).status == Status.SKIPPED
    assert sink.messages == []


def test_it_cancels_a_touchpoint_of_a_cancelled_engagement(sink, make_touchpoint):
    tp = make_touchpoint()
    tp.engagement.cancelled_at = NOON - dt.timedelta(hours=1)
    tp.engagement.save()
    report = worker.run_once(now=NOON)
    assert (report.cancelled, refreshed(tp).status) == (1, Status.CANCELLED)
    assert sink.messages == []


def test_it_fails_a_customer_without_an_email_address(sink, make_touchpoint):
    tp = make_touchpoint(email="")
    worker.run_once(now=NOON)
    tp = refreshed(tp)
    assert (tp.status, tp.last_error) == (Status.FAILED, "The customer has no email address.")


def test_it_marks_a_message_later_than_the_catch_up_window_missed(sink, make_touchpoint):
    tp = make_touchpoint(due_at=NOON - dt.timedelta(days=3))
    report = worker.run_once(now=NOON)
    assert (report.missed, refreshed(tp).status) == (1, Status.MISSED)
    assert sink.messages == []


def test_it_moves_a_message_due_in_quiet_hours_to_their_end(sink, make_touchpoint):
    # 22:00 in New York; the quiet hours run 20:00–08:00, so it waits for 08:00 (12:00 UTC).
    late_evening = dt.datetime(2026, 6, 11, 2, 0, tzinfo=dt.UTC)
    tp = make_touchpoint(due_at=late_evening - dt.timedelta(minutes=1))
    report = worker.run_once(now=late_evening)
    tp = refreshed(tp)
    assert (report.moved, tp.status, tp.moved_reason) == (1, Status.PLANNED, "quiet hours")
    assert tp.due_at == dt.datetime(2026, 6, 11, 12, 0, tzinfo=dt.UTC)
    assert sink.messages == []


def test_it_never_claims_personal_channel_rows(sink, make_touchpoint):
    rows = [make_touchpoint(channel=channel) for channel in sorted(kinds.PERSONAL)]
    assert worker.run_once(now=NOON).claimed == 0
    assert {refreshed(tp).status for tp in rows} == {Status.PLANNED}


def test_it_leaves_sms_rows_planned_until_there_is_an_sms_transport(sink, make_touchpoint):
    tp = make_touchpoint(channel=kinds.SMS)
    assert worker.run_once(now=NOON).claimed == 0
    assert refreshed(tp).status == Status.PLANNED


def test_it_does_not_send_a_row_that_is_not_due_yet(sink, make_touchpoint):
    tp = make_touchpoint(due_at=NOON + dt.timedelta(minutes=1))
    assert worker.run_once(now=NOON).claimed == 0
    assert refreshed(tp).status == Status.PLANNED


def test_it_rechecks_consent_after_claiming_just_before_sending(sink, make_touchpoint):
    tp = make_touchpoint()
    token, rows = worker.claim(NOON, 10)
    record_consent(tp.customer, kinds.EMAIL, v.RELATIONSHIP, False, "unsubscribe link")
    with worker.Dispatcher(1) as dispatcher:
        worker.process(rows, token, NOON, dispatcher, worker.PassReport())
    assert refreshed(tp).status == Status.SKIPPED
    assert sink.messages == []


def test_it_rechecks_cancellation_after_claiming_just_before_sending(sink, make_touchpoint):
    tp = make_touchpoint()
    token, rows = worker.claim(NOON, 10)
    tp.engagement.cancelled_at = NOON
    tp.engagement.save()
    with worker.Dispatcher(1) as dispatcher:
        worker.process(rows, token, NOON, dispatcher, worker.PassReport())
    assert refreshed(tp).status == Status.CANCELLED


def test_it_claims_a_row_only_once(make_touchpoint):
    make_touchpoint()
    _, first = worker.claim(NOON, 10)
    _, second = worker.claim(NOON, 10)
    assert (len(first), len(second)) == (1, 0)
    assert refreshed(first[0]).status == Status.SENDING


def test_it_puts_a_row_whose_lease_expired_back_and_sends_it(sink, make_touchpoint, settings):
    settings.WORKER_LEASE_SECONDS = 60
    tp = make_touchpoint()
    worker.claim(NOON, 10)  # a worker that died before sending
    assert worker.run_once(now=NOON + dt.timedelta(seconds=30)).reclaimed == 0
    report = worker.run_once(now=NOON + dt.timedelta(seconds=61))
    assert (report.reclaimed, report.sent, refreshed(tp).status) == (1, 1, Status.SENT)


def test_it_does_not_overwrite_a_row_whose_lease_it_lost(sink, make_touchpoint):
    tp = make_touchpoint()
    token, rows = worker.claim(NOON, 10)
    Touchpoint.objects.filter(pk=tp.pk).update(claimed_by="another-pass")
    with worker.Dispatcher(1) as dispatcher:
        worker.process(rows, token, NOON, dispatcher, worker.PassReport())
    assert (refreshed(tp).status, refreshed(tp).claimed_by) == (Status.SENDING, "another-pass")


def test_it_sends_a_batch_over_one_connection_per_thread(sink, make_touchpoint, settings):
    settings.WORKER_SEND_THREADS = 2
    settings.WORKER_BATCH_SIZE = 5
    for _ in range(12):
        make_touchpoint()
    report = worker.run_once(now=NOON)
    assert (report.claimed, report.sent) == (12, 12)
    assert len(sink.peers()) <= 2


def test_it_publishes_the_sent_events_of_a_batch_in_one_signal(
        sink, make_touchpoint, django_capture_on_commit_callbacks):
    sent = [make_touchpoint() for _ in range(3)]
    signals = []

    def listen(sender, business, name, payloads, **kwargs):
        signals.append((name, sorted(payload["touchpoint"] for payload in payloads)))

    events.domain_event.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            worker.run_once(now=NOON)
    finally:
        events.domain_event.disconnect(listen)
    assert signals == [(events.TOUCHPOINT_SENT, sorted(tp.public_id for tp in sent))]


def test_it_delivers_to_the_demo_outbox_when_that_is_the_email_backend(make_touchpoint, settings):
    settings.EMAIL_BACKEND = "followthrough.channels.outbox.OutboxEmailBackend"
    settings.WORKER_SEND_THREADS = 1
    tp = make_touchpoint()
    assert worker.run_once(now=NOON).sent == 1
    stored = OutboxMessage.objects.get()
    assert stored.business_slug == "riverside-plumbing"
    assert stored.message_id == refreshed(tp).message_id


def test_it_reads_due_rows_through_the_partial_index(db):
    sql, params = worker.due_rows(NOON).order_by("due_at").query.sql_with_params()
    explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An empty table is cheaper to scan; forbid that so the plan shows the index.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"{explain} {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "touchpoint_due_automated" in plan


def test_it_pauses_marketing_to_a_customer_on_hold(sink, make_touchpoint):
    tp = make_touchpoint(purpose=v.MARKETING)
    record_consent(tp.customer, "email", v.MARKETING, granted=True, source="form")
    Customer.objects.filter(pk=tp.customer_id).update(marketing_hold=True)
    assert worker.run_once(now=NOON).paused == 1
    assert refreshed(tp).status == Status.PAUSED
    assert sink.messages == []


def test_it_still_sends_relationship_mail_to_a_customer_on_hold(sink, make_touchpoint):
    tp = make_touchpoint(purpose=v.RELATIONSHIP)
    Customer.objects.filter(pk=tp.customer_id).update(marketing_hold=True)
    assert worker.run_once(now=NOON).sent == 1
