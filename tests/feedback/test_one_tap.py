"""One-tap scores: the email's 0–10 buttons open the survey with a score; only the page's
POST records it, so a mail scanner that GETs every link records nothing."""

import pytest

from followthrough import events
from followthrough.channels.models import QueuedMail
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.feedback.public_views import ONE_TAP_HEADER
from followthrough.feedback.services import submit_response
from followthrough.touchpoints.models import Touchpoint

SCANNERS = ["Mozilla/5.0 (compatible; Microsoft Office SafeLinks)", "python-requests/2.32",
            "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0", ""]


def url(touch, query=""):
    return f"/s/{touch.link_token}{query}"


@pytest.fixture
def published():
    seen = []

    def receiver(sender, business, name, payloads, **kwargs):
        seen.append(name)

    events.domain_event.connect(receiver, dispatch_uid="test-one-tap")
    yield seen
    events.domain_event.disconnect(dispatch_uid="test-one-tap")


@pytest.mark.parametrize("agent", SCANNERS)
def test_it_records_nothing_when_a_scanner_gets_every_score_link(client, survey_touch, agent,
                                                                  published,
                                                                  django_capture_on_commit_callbacks):
    touches = Touchpoint.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        for score in range(11):
            assert client.get(url(survey_touch, f"?nps={score}"),
                              headers={"User-Agent": agent}).status_code == 200
            client.head(url(survey_touch, f"?nps={score}"), headers={"User-Agent": agent})
    assert not SurveyResponse.objects.exists()
    assert not Incident.objects.exists()
    assert not QueuedMail.objects.exists()
    assert Touchpoint.objects.count() == touches  # no recovery call either
    assert published == []


def test_it_shows_the_tapped_score_with_a_button_that_records_it(client, survey_touch):
    page = client.get(url(survey_touch, "?nps=8")).text
    assert 'id="one-tap"' in page
    assert 'name="one_tap" value="8"' in page
    assert "Send my score of 8" in page
    assert "followthrough/survey.js" in page


def test_it_shows_no_one_tap_form_without_a_score_in_the_link(client, survey_touch):
    for query in ("", "?nps=11", "?nps=-1", "?nps=abc", "?nps=007"):
        assert 'id="one-tap"' not in client.get(url(survey_touch, query)).text


def test_it_records_the_score_on_the_scripts_post_with_no_content(client, survey_touch,
                                                                   published,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(survey_touch), {"one_tap": "9"},
                               headers={ONE_TAP_HEADER: "fetch"})
    assert response.status_code == 204
    assert SurveyResponse.objects.get().nps == 9
    assert published == [events.FEEDBACK_RECEIVED]


def test_it_sends_the_no_script_button_back_to_the_page_with_the_score_saved(client,
                                                                            survey_touch):
    response = client.post(url(survey_touch), {"one_tap": "4"})
    assert response.status_code == 303
    assert response["Location"] == url(survey_touch, "?saved=4")
    page = client.get(response["Location"]).text
    assert "your score of 4 is saved" in page
    assert 'value="4" id="id_nps_4" checked' in page


def test_it_keeps_what_the_customer_wrote_when_a_score_is_tapped_again(client, survey_touch):
    submit_response(survey_touch, {"nps": 6, "csat": 3, "went_well": "On time",
                                   "improve": "", "anything_else": "", "quote_as": ""})
    client.post(url(survey_touch), {"one_tap": "10"},
                headers={ONE_TAP_HEADER: "fetch"})
    answer = SurveyResponse.objects.get()
    assert (answer.nps, answer.csat, answer.went_well) == (10, 3, "On time")


def test_it_lets_the_customer_change_the_score_and_add_a_comment_afterwards(client,
                                                                           survey_touch):
    client.post(url(survey_touch), {"one_tap": "7"},
                headers={ONE_TAP_HEADER: "fetch"})
    client.post(url(survey_touch), {"nps": "9", "went_well": "Tidy and quick"})
    answer = SurveyResponse.objects.get()
    assert (answer.nps, answer.went_well) == (9, "Tidy and quick")


def test_it_opens_an_incident_for_a_low_tapped_score(client, survey_touch):
    client.post(url(survey_touch), {"one_tap": "2"},
                headers={ONE_TAP_HEADER: "fetch"})
    assert Incident.objects.get().customer == survey_touch.customer


@pytest.mark.parametrize("score", ["11", "-1", "", "x", "5.5"])
def test_it_refuses_a_score_outside_zero_to_ten(client, survey_touch, score):
    response = client.post(url(survey_touch), {"one_tap": score},
                           headers={ONE_TAP_HEADER: "fetch"})
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_it_answers_a_tap_on_an_unknown_link_with_the_gone_page(client, db):
    response = client.post("/s/not-a-real-token", {"one_tap": "9"})
    assert response.status_code == 404
    assert not SurveyResponse.objects.exists()
