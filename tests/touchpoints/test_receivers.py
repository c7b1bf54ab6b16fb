import datetime as dt

import pytest
from django.utils import timezone

from followthrough.customers.models import Customer
from followthrough.playbooks import services as playbook_services
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Status


@pytest.fixture
def job(business):
    playbook = install_builtin_playbooks(business)[0]
    customer = Customer.objects.create(business=business, name="Jamie", email="j@example.com")
    return services.create_engagement(
        business, customer, playbook, kind="Job", description="Boiler",
        won_at=timezone.now() - dt.timedelta(hours=1),
    )


def planned_step(job):
    return job.touchpoints.filter(status=Status.PLANNED).select_related("step").first()


def test_it_cancels_planned_touchpoints_of_a_deleted_step(job, django_capture_on_commit_callbacks):
    touchpoint = planned_step(job)
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.delete_step(touchpoint.step)
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.CANCELLED


def test_it_moves_planned_touchpoints_when_a_step_changes(job, django_capture_on_commit_callbacks):
    touchpoint = planned_step(job)
    step = touchpoint.step
    step.offset_days += 2
    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.save_step(step)
    moved = job.touchpoints.get(pk=touchpoint.pk)
    assert moved.local_date == touchpoint.local_date + dt.timedelta(days=2)
