"""The worker owns import jobs: a request only marks a job; the worker takes it with a
lease, takes up a job whose worker died, and gives up clearly after repeated interruptions."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.customers.models import Customer
from followthrough.integrations import imports
from followthrough.integrations.models import ImportJob
from followthrough.touchpoints import worker

CSV = b"Name,Email\nAda,ada@example.com\nBob,bob@example.com\n"
MAPPING = {"name": "Name", "email": "Email"}


@pytest.fixture
def job(business):
    return ImportJob.objects.create(business=business, filename="people.csv", data=CSV,
                                    mapping=MAPPING, status=ImportJob.MAPPING, total=2)


def test_it_leaves_a_started_import_to_the_worker(job):
    imports.start(job)

    job.refresh_from_db()
    assert (job.status, Customer.objects.count()) == (ImportJob.QUEUED, 0)


def test_it_runs_a_waiting_import_after_a_worker_pass(job):
    imports.start(job)

    worker.run_once()

    job.refresh_from_db()
    assert (job.status, job.created, job.lease_until) == (ImportJob.DONE, 2, None)


def test_it_leaves_alone_an_import_another_worker_holds(job):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.RUNNING, attempts=1,
        lease_until=timezone.now() + dt.timedelta(minutes=1))

    assert imports.run_due_jobs() == 0


def test_it_finishes_an_import_whose_worker_died_without_duplicating(job, business):
    Customer.objects.create(business=business, name="Ada", email="ada@example.com")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.RUNNING, attempts=1, created=1,
        lease_until=timezone.now() - dt.timedelta(seconds=1))

    assert imports.run_due_jobs() == 1

    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == (ImportJob.DONE, 2, 2)
    assert Customer.objects.count() == 2


def test_it_fails_clearly_after_repeated_interruptions(job):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.RUNNING, attempts=imports.MAX_IMPORT_ATTEMPTS,
        lease_until=timezone.now() - dt.timedelta(seconds=1))

    assert imports.run_due_jobs() == 0

    job.refresh_from_db()
    assert job.status == ImportJob.FAILED
    assert "interrupted 3 times" in job.message and "nothing is duplicated" in job.message
