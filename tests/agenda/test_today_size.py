"""Today stays small and quick: under 60 KB for the demo business, and a fixed number of
queries however many jobs there are."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followthrough.agenda.models import Promise
from followthrough.channels import kinds
from followthrough.demo.loader import OWNER_EMAIL, load_demo
from followthrough.feedback.models import SurveyResponse
from followthrough.touchpoints.models import Status

# The session, the user and the membership, then Today's own, the getting-started list
# included while it shows (docs/agenda.md).
MOST_QUERIES = 14


def test_it_is_under_sixty_kilobytes_for_the_demo_business(client, db):
    load_demo()
    client.force_login(get_user_model().objects.get(username=OWNER_EMAIL))
    response = client.get("/today/")
    assert response.status_code == 200
    assert len(response.content) < 60_000
    assert b"Your personal touches" in response.content


def _jobs(touch, business, customer, count):
    """`count` jobs, each with a call due, a draft, an email going out, a promise, an answer
    to the survey and some history."""
    now = timezone.now()
    for n in range(count):
        call = touch(due_at=now - dt.timedelta(minutes=n + 1))
        touch(channel=kinds.EMAIL, status=Status.DRAFT, due_at=now + dt.timedelta(days=1))
        touch(channel=kinds.EMAIL, due_at=now + dt.timedelta(days=2))
        touch(status=Status.DONE, due_at=now - dt.timedelta(days=n + 2))
        touch(status=Status.MISSED, due_at=now - dt.timedelta(days=2))
        Promise.objects.create(business=business, customer=customer, what=f"Promise {n}",
                               due_on=timezone.localdate() - dt.timedelta(days=1))
        SurveyResponse.objects.create(business=business, customer=customer,
                                      engagement=call.engagement, nps=9)


def _queries(client, path="/today/"):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/today/", "/today/?rest=1", "/today/?who=everyone"])
def test_it_needs_the_same_queries_for_many_jobs_as_for_a_few(owner_client, touch, business,
                                                                customer, path,
                                                                django_assert_max_num_queries):
    _jobs(touch, business, customer, 11)
    owner_client.get(path)  # the team list is cached from the first visit on
    few = _queries(owner_client, path)
    _jobs(touch, business, customer, 25)
    with django_assert_max_num_queries(MOST_QUERIES):
        many = _queries(owner_client, path)
    assert many == few
