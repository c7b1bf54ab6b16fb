import pytest
from django.core import mail

from followthrough import events
from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.channels.mailqueue import deliver_due
from followthrough.feedback import services
from followthrough.feedback.models import FeedbackSettings, Incident
from followthrough.touchpoints.models import Status, Touchpoint
from tests.feedback.conftest import make_touch


@pytest.fixture
def published():
    seen = []

    def receiver(sender, business, name, payloads, **kwargs):
        seen.extend((name, payload) for payload in payloads)

    events.domain_event.connect(receiver)
    yield seen
    events.domain_event.disconnect(receiver)


def detract(touch, **answers):
    return services.submit_response(touch, {"nps": 3, "improve": "Left a mess", **answers})


def test_it_opens_an_incident_for_a_low_recommend_score(survey_touch, owner,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        detract(survey_touch)
    incident = Incident.objects.get()
    assert (incident.reason, incident.customer) == (Incident.NPS, survey_touch.customer)


def test_it_opens_an_incident_for_low_satisfaction(survey_touch):
    services.submit_response(survey_touch, {"nps": 8, "csat": 2})
    assert Incident.objects.get().reason == Incident.CSAT


def test_it_does_not_open_an_incident_for_a_happy_customer(survey_touch):
    services.submit_response(survey_touch, {"nps": 7, "csat": 3})
    assert not Incident.objects.exists()


def test_it_puts_a_recovery_call_at_the_top_of_today(survey_touch):
    detract(survey_touch)
    call = Touchpoint.objects.get(name="Recovery call")
    assert (call.channel, call.status, call.priority, call.step) == (
        kinds.CALL, Status.PLANNED, 100, None)
    assert "Left a mess" in call.rendered_body and "What would put this right" in call.rendered_body


def test_it_emails_the_owners_at_once(survey_touch, owner, staff,
                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        detract(survey_touch)
    deliver_due()  # the alert leaves through the mail queue
    [alert] = mail.outbox
    assert alert.to == [owner.email]
    assert "Jamie O'Brien is unhappy" in alert.subject


def test_it_publishes_the_events_with_public_ids_only(survey_touch, published,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        detract(survey_touch)
    names = [name for name, _ in published]
    assert names == [events.FEEDBACK_RECEIVED, events.INCIDENT_OPENED]
    assert published[1][1]["customer"] == survey_touch.customer.public_id


def test_it_pauses_marketing_but_still_asks_for_the_review(engagement, survey_touch):
    offer = make_touch(engagement, element=v.OTHER, purpose=v.MARKETING,
                       status=Status.PLANNED)
    review = make_touch(engagement, element=v.REVIEW, status=Status.PLANNED)
    detract(survey_touch)
    offer.refresh_from_db(), review.refresh_from_db()
    assert offer.status == Status.PAUSED
    assert review.status == Status.PLANNED
    assert engagement.customer.__class__.objects.get(pk=engagement.customer_id).marketing_hold


def test_it_resumes_marketing_when_the_incident_is_resolved(engagement, survey_touch):
    offer = make_touch(engagement, element=v.OTHER, purpose=v.MARKETING,
                       status=Status.PLANNED)
    incident = services.resolve_incident(detract(survey_touch).incidents.get(),
                                         "Came back and cleaned up")
    offer.refresh_from_db(), incident.refresh_from_db()
    assert offer.status == Status.PLANNED
    assert incident.resolution_note == "Came back and cleaned up"
    assert incident.time_to_resolve is not None
    assert not incident.customer.marketing_hold


def test_it_opens_one_incident_however_often_they_answer(survey_touch):
    detract(survey_touch)
    detract(survey_touch, csat=1)
    assert Incident.objects.count() == 1
    assert Touchpoint.objects.filter(name="Recovery call").count() == 1


def test_it_turns_what_else_we_can_do_into_a_follow_up(survey_touch):
    services.submit_response(survey_touch, {"nps": 10, "anything_else": "Quote for a boiler"})
    touch = Touchpoint.objects.get(priority=services.OPPORTUNITY_PRIORITY)
    assert touch.name == "Follow up: they asked “Quote for a boiler”"
    assert "Quote for a boiler" in touch.rendered_body


def test_it_reads_the_survey_page_as_the_orm_does(survey_touch):
    services.settings_for(survey_touch.business)
    services.submit_response(survey_touch, {"nps": 9, "went_well": "Tidy", "quote_as": "full"})
    page = services.survey_page(survey_touch.link_token)
    orm = services.touchpoint_for_link(survey_touch.link_token)
    earlier = services.editable_response(orm)
    assert (page.touchpoint.pk, page.touchpoint.due_at, page.touchpoint.completed_at) == (
        orm.pk, orm.due_at, orm.completed_at)
    assert (page.touchpoint.business.name, page.touchpoint.customer.first_name) == (
        orm.business.name, orm.customer.first_name)
    assert page.questions.q_nps == services.settings_for(orm.business).q_nps
    assert page.earlier == {name: getattr(earlier, name) for name in services.ANSWER_FIELDS}


def test_it_finds_no_survey_page_for_an_unknown_token(db):
    assert services.survey_page("forged-token") is None


def test_it_reads_the_survey_page_without_creating_its_wording(survey_touch):
    assert services.survey_page(survey_touch.link_token).questions is None
    assert not FeedbackSettings.objects.exists()
