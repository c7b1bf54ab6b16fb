import datetime as dt

from django.utils import timezone

from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer, Engagement
from followthrough.demo.loader import CUSTOMER_COUNT, DEMO_SLUG, load_demo
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.touchpoints.models import Status, Touchpoint


def test_it_loads_about_forty_customers(db):
    load_demo()
    assert Customer.objects.filter(business__slug=DEMO_SLUG).count() == CUSTOMER_COUNT


def test_it_puts_engagements_in_every_stage(db):
    load_demo()
    stages = {engagement.stage for engagement in Engagement.objects.all()}
    assert stages == {1, 3, 4}


def test_it_leaves_personal_touches_due_today(db):
    load_demo()
    end_of_today = timezone.now() + dt.timedelta(hours=24)
    due = Touchpoint.objects.filter(
        status=Status.PLANNED, channel__in=["call", "card"], due_at__lte=end_of_today
    )
    assert due.exists()


def test_it_writes_a_history_of_sent_and_done_touchpoints(db):
    load_demo()
    assert Touchpoint.objects.filter(status=Status.SENT).exists()
    assert Touchpoint.objects.filter(status=Status.DONE).exists()


def test_it_loads_only_once(db):
    assert load_demo() is not None
    assert load_demo() is None


def test_it_includes_survey_answers_and_one_unhappy_customer(db):
    load_demo()
    assert SurveyResponse.objects.filter(nps__gte=9).exists()
    assert Incident.objects.count() == 1


def test_it_includes_promises_one_of_them_overdue(db):
    load_demo()
    today = timezone.localdate()
    assert Promise.objects.count() == 3
    assert Promise.objects.filter(due_on__lt=today).exists()
