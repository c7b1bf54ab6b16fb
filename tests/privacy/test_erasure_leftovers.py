"""An erasure leaves nothing behind: not in the rollups, not in a follow-up's name, and the
old links take no new text."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.channels import mailqueue
from followthrough.channels.models import QueuedMail
from followthrough.customers.models import Customer
from followthrough.feedback import services as feedback
from followthrough.feedback.models import SurveyResponse
from followthrough.insights import rollup
from followthrough.insights.models import CustomerRollup
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.privacy.services import ERASED_NAME, erase_customer
from followthrough.touchpoints import services
from followthrough.touchpoints.models import Touchpoint
from tests.feedback.conftest import customer, engagement, make_touch  # noqa: F401

SECRET = "my divorce is going badly so please call after 6"


@pytest.fixture
def survey_touch(engagement):  # noqa: F811
    return make_touch(engagement)


def test_it_refuses_new_survey_text_after_the_erasure(client, survey_touch, owner):
    erase_customer(owner, survey_touch.customer)
    response = client.post(f"/s/{survey_touch.link_token}",
                           {"nps": "3", "improve": "new text after the erasure"})
    assert response.status_code == 404
    assert not SurveyResponse.objects.exists()


def test_it_shows_no_survey_after_the_erasure(client, survey_touch, owner):
    erase_customer(owner, survey_touch.customer)
    assert client.get(f"/s/{survey_touch.link_token}").status_code == 404


def test_it_refuses_the_subscribe_link_after_the_erasure(client, survey_touch, owner):
    erase_customer(owner, survey_touch.customer)
    assert client.post(f"/n/{survey_touch.link_token}").status_code == 404


def test_it_takes_the_name_out_of_the_built_rollup(business, survey_touch, owner):
    rollup.refresh(business)
    assert CustomerRollup.objects.get().name_key == "jamie o'brien"
    erase_customer(owner, survey_touch.customer)
    assert CustomerRollup.objects.get().name_key == ERASED_NAME.lower()


def test_it_leaves_no_rollup_row_with_the_name_when_none_was_built(business, survey_touch,
                                                                   owner):
    CustomerRollup.objects.create(customer=survey_touch.customer, business=business,
                                  name_key="jamie o'brien")
    erase_customer(owner, survey_touch.customer)
    assert not CustomerRollup.objects.filter(name_key__contains="jamie").exists()


def test_it_scrubs_survey_text_from_a_follow_up_touch_name(survey_touch, owner):
    feedback.submit_response(survey_touch, {"nps": 9, "anything_else": SECRET})
    follow_up = Touchpoint.objects.get(step__isnull=True, name__startswith="Follow up")
    erase_customer(owner, survey_touch.customer)
    follow_up.refresh_from_db()
    assert "divorce" not in follow_up.name
    assert "divorce" not in follow_up.rendered_body


def test_it_keeps_the_step_name_of_playbook_touches(business, owner):
    jamie = Customer.objects.create(business=business, name="Jamie", email="j@example.com")
    playbook = install_builtin_playbooks(business)[0]
    services.create_engagement(business, jamie, playbook, kind="Job",
                               won_at=timezone.now() - dt.timedelta(days=3))
    names = sorted(jamie.touchpoints.values_list("name", flat=True))
    erase_customer(owner, jamie)
    assert sorted(jamie.touchpoints.values_list("name", flat=True)) == names


def test_it_deletes_queued_mail_to_or_about_the_customer(business, survey_touch, owner):
    jamie = survey_touch.customer
    mailqueue.queue_mail("Please confirm", "link", [jamie.email], kind="subscribe",
                         business=business)
    mailqueue.queue_mail(f"{jamie.name} is unhappy", "call", [owner.email],
                         kind="incident_alert", business=business)
    mailqueue.queue_mail("Someone else", "hi", ["bo@example.com"], kind="x", business=business)
    erase_customer(owner, jamie)
    assert list(QueuedMail.objects.values_list("subject", flat=True)) == ["Someone else"]
