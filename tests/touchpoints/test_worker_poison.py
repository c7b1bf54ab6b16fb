"""One bad message never stops the line: a row that cannot be built or sent fails alone,
with its reason, and every other row of the batch, from every business, still goes out.

The bad values are written with .update(), past the forms, the API and Customer.save(),
so what is tested is the worker's own defence."""

import datetime as dt

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import Business
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status, Touchpoint
from tests.touchpoints.conftest import NOON

DUE = NOON - dt.timedelta(minutes=5)


def make_rows(business: Business, count: int) -> list[Touchpoint]:
    """`count` due emails for `business`, created in bulk (one customer each)."""
    playbook = Playbook.objects.create(business=business, slug="p", name="P")
    step = Step.objects.create(playbook=playbook, name="Hello", channel=kinds.EMAIL,
                               subject="Hello {{ customer_first_name }}",
                               body="Hi {{ customer_first_name }}, from {{ business_name }}.")
    customers = Customer.objects.bulk_create(
        Customer(business=business, name=f"Jo Lee {n}", email=f"jo{n}@{business.slug}.example")
        for n in range(count))
    engagements = Engagement.objects.bulk_create(
        Engagement(business=business, customer=customer, won_at=DUE - dt.timedelta(days=1))
        for customer in customers)
    local = DUE.astimezone(business.zone)
    return Touchpoint.objects.bulk_create(
        Touchpoint(business=business, engagement=engagement, customer=engagement.customer,
                   step=step, idempotency_key=f"{engagement.public_id}:{step.public_id}",
                   name="Hello", channel=kinds.EMAIL, stage=4, element=v.THANK_YOU,
                   purpose=v.TRANSACTIONAL, due_at=DUE, local_date=local.date(),
                   local_time=local.time())
        for engagement in engagements)


@pytest.fixture
def third_business(db):
    return Business.objects.create(slug="corner-garage", name="Corner Garage",
                                   timezone="America/Chicago", sender_email="hi@garage.example")


@pytest.fixture
def thousand_rows(business, other_business, third_business):
    """1,000 due emails from three businesses."""
    return (make_rows(business, 400) + make_rows(other_business, 300)
            + make_rows(third_business, 300))


def run_until_idle(now) -> worker.PassReport:
    total = worker.PassReport()
    for _ in range(5):
        report = worker.run_once(now=now)
        for name, count in vars(report).items():
            setattr(total, name, getattr(total, name) + count)
        if not report.claimed:
            break
    return total


def test_it_sends_999_good_rows_around_a_name_with_a_line_break(thousand_rows, sink):
    # Over real SMTP: the SMTP backend builds each message on the worker's main thread,
    # which is where the line break used to stop the whole pass.
    poisoned = thousand_rows[123]
    Customer.objects.filter(pk=poisoned.customer_id).update(
        name="Jo\r\nBcc: everyone@evil.example")
    report = run_until_idle(NOON)
    assert (report.sent, report.failed) == (999, 1)
    assert len(sink.messages) == 999
    assert not any("evil" in message.as_string() for message in sink.messages)
    assert Touchpoint.objects.filter(status=Status.SENT).count() == 999
    assert not Touchpoint.objects.filter(status=Status.SENDING).exists()
    bad = Touchpoint.objects.get(pk=poisoned.pk)
    assert bad.status == Status.FAILED
    assert bad.last_error.startswith("This message could not be built")
    assert "Traceback" not in bad.last_error and "\n" not in bad.last_error
    # The reason names the header, without copying the customer's data into it.
    assert bad.last_error == ("This message could not be built: BadHeaderError: Header "
                              "values can't contain newlines (in the To header)")


def test_it_logs_the_traceback_of_the_row_that_failed(make_touchpoint, caplog, sink):
    tp = make_touchpoint()
    Customer.objects.filter(pk=tp.customer_id).update(name="Jo\nBcc: x@evil.example")
    worker.run_once(now=NOON)
    [record] = [r for r in caplog.records if r.name == "followthrough.worker" and r.exc_info]
    assert tp.public_id in record.getMessage()


def test_it_fails_one_row_whose_business_has_a_broken_time_zone(
        business, other_business, make_touchpoint):
    mine = make_touchpoint()
    theirs = make_rows(other_business, 2)
    Business.objects.filter(pk=business.pk).update(timezone="Not/AZone")
    report = worker.run_once(now=NOON)
    assert (report.sent, report.failed) == (2, 1)
    assert Touchpoint.objects.get(pk=mine.pk).status == Status.FAILED
    assert {row.status for row in Touchpoint.objects.filter(pk__in=[t.pk for t in theirs])} \
        == {Status.SENT}


def test_it_fails_one_row_whatever_the_exception(make_touchpoint, monkeypatch):
    good, bad = make_touchpoint(), make_touchpoint()
    compose = worker.compose

    def exploding(row):
        if row.pk == bad.pk:
            raise RuntimeError("kaboom")
        return compose(row)

    monkeypatch.setattr(worker, "compose", exploding)
    report = worker.run_once(now=NOON)
    assert (report.sent, report.failed) == (1, 1)
    bad.refresh_from_db()
    assert bad.last_error == "This message could not be built: RuntimeError: kaboom"
    assert Touchpoint.objects.get(pk=good.pk).status == Status.SENT


def test_it_gives_up_on_a_row_that_keeps_losing_its_worker(make_touchpoint, settings):
    # A row that kills the worker mid-send (a crash, an out-of-memory kill) comes back
    # through the reaper each time; it must not come back for ever.
    settings.WORKER_MAX_ATTEMPTS = 3
    tp = make_touchpoint()
    later = NOON
    for _ in range(3):
        worker.claim(later, 10)  # claimed, then the worker "dies"
        later += dt.timedelta(seconds=settings.WORKER_LEASE_SECONDS + 1)
        worker.reap(later)
    tp.refresh_from_db()
    assert (tp.status, tp.attempts) == (Status.FAILED, 3)
    assert "gave up" in tp.last_error.lower()


def test_it_sends_a_row_again_after_one_lost_worker(make_touchpoint, settings):
    tp = make_touchpoint()
    worker.claim(NOON, 10)
    later = NOON + dt.timedelta(seconds=settings.WORKER_LEASE_SECONDS + 1)
    report = worker.run_once(now=later)
    tp.refresh_from_db()
    assert (report.reclaimed, report.sent, tp.status, tp.attempts) == (1, 1, Status.SENT, 2)


def test_it_fails_one_row_whose_outcome_cannot_be_saved(make_touchpoint, monkeypatch):
    good, bad = make_touchpoint(), make_touchpoint()
    compose = worker.compose

    def with_unstorable_text(row):
        outgoing = compose(row)
        if row.pk == bad.pk:
            # A value the database refuses (a CHECK constraint on SQLite and PostgreSQL
            # alike), standing in for text PostgreSQL cannot store, such as NUL.
            row.attempts = -5
        return outgoing

    monkeypatch.setattr(worker, "compose", with_unstorable_text)
    report = worker.run_once(now=NOON)
    assert report.sent == 2
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == Status.SENT
    # It did go out, so it says sent, with the reason its snapshot is missing.
    assert (bad.status, bad.claimed_by, bad.attempts) == (Status.SENT, "", 1)
    assert bad.last_error.startswith("The outcome of this message could not be saved")
