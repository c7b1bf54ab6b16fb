import datetime as dt

import pytest
from django.utils import timezone

from followthrough.feedback.models import (
    DEFAULT_QUESTIONS,
    FeedbackSettings,
    Incident,
    SurveyResponse,
)
from followthrough.feedback.services import EDIT_WINDOW, SURVEY_LIFETIME, submit_response
from followthrough.touchpoints.models import Touchpoint
from tests.feedback.conftest import make_touch


def url(touch, query=""):
    return f"/s/{touch.link_token}{query}"


def test_it_keys_the_survey_on_at_least_128_random_bits(survey_touch):
    import base64
    raw = base64.urlsafe_b64decode(survey_touch.link_token + "==")
    assert len(raw) * 8 >= 128
    assert survey_touch.link_token != survey_touch.public_id


def test_it_prefills_a_one_tap_score_without_recording_anything(client, survey_touch):
    response = client.get(url(survey_touch, "?nps=3"))
    assert response.status_code == 200
    assert b'value="3" id="id_nps_3" checked' in response.content
    assert not SurveyResponse.objects.exists()
    assert not Incident.objects.exists()


def test_it_records_an_answer_only_on_post(client, survey_touch):
    client.post(url(survey_touch), {"nps": "9", "went_well": "Tidy work"})
    answer = SurveyResponse.objects.get()
    assert (answer.nps, answer.went_well, answer.customer) == (9, "Tidy work",
                                                               survey_touch.customer)


def test_it_updates_the_answer_on_a_repeated_post(client, survey_touch):
    client.post(url(survey_touch), {"nps": "9"})
    client.post(url(survey_touch), {"nps": "9"})
    client.post(url(survey_touch), {"nps": "7", "improve": "Call ahead"})
    answer = SurveyResponse.objects.get()
    assert (answer.nps, answer.improve) == (7, "Call ahead")


def test_it_stores_a_new_response_after_the_edit_window(survey_touch):
    earlier = timezone.now() - EDIT_WINDOW - dt.timedelta(minutes=1)
    submit_response(survey_touch, {"nps": 8}, now=earlier)
    submit_response(survey_touch, {"nps": 10})
    assert sorted(SurveyResponse.objects.values_list("nps", flat=True)) == [8, 10]


def test_it_asks_for_at_least_one_answer(client, survey_touch):
    response = client.post(url(survey_touch), {})
    assert response.status_code == 400
    assert b"Please answer at least one question" in response.content


def test_it_shows_a_kind_page_for_an_unknown_token(client, db):
    response = client.get("/s/not-a-real-token")
    assert response.status_code == 404
    assert b"find that page" in response.content


def test_it_expires_60_days_after_the_send(client, survey_touch):
    Touchpoint.objects.filter(pk=survey_touch.pk).update(
        completed_at=timezone.now() - SURVEY_LIFETIME - dt.timedelta(minutes=1))
    response = client.post(url(survey_touch), {"nps": "9"})
    assert response.status_code == 200
    assert b"This link has expired" in response.content
    assert not SurveyResponse.objects.exists()


def test_it_keeps_over_long_answers_and_scripts_safely(client, survey_touch, owner_client):
    script = "<script>alert(1)</script>" + "x" * 5000
    client.post(url(survey_touch), {"nps": "9", "went_well": script})
    stored = SurveyResponse.objects.get().went_well
    assert len(stored) == 2000 and stored.startswith("<script>")
    page = owner_client.get("/feedback/").content
    assert b"<script>alert" not in page and b"&lt;script&gt;alert(1)" in page


@pytest.mark.parametrize("agent", ["Mozilla/5.0 (compatible; Proofpoint)", ""])
def test_it_never_answers_for_a_scanner_get(client, survey_touch, agent):
    client.get(url(survey_touch, "?nps=0"), HTTP_USER_AGENT=agent)
    client.head(url(survey_touch, "?nps=0"))
    assert not SurveyResponse.objects.exists()


def test_it_shows_the_earlier_answer_for_editing(client, survey_touch):
    client.post(url(survey_touch), {"nps": "8", "csat": "4", "went_well": 'Quick & "tidy"',
                                    "quote_as": "initials"})
    page = client.get(url(survey_touch)).content
    assert b"You answered recently" in page
    assert b'value="8" id="id_nps_8" checked' in page
    assert b'value="4" id="id_csat_3" checked' in page
    assert b'value="initials" id="id_quote_as_2" checked' in page
    assert b'id="id_went_well">\nQuick &amp; &quot;tidy&quot;</textarea>' in page


def test_it_marks_a_refused_choice_invalid_and_keeps_the_rest(client, survey_touch):
    response = client.post(url(survey_touch), {"nps": "12", "csat": "3", "improve": "Hi"})
    assert response.status_code == 400
    assert b'value="0" id="id_nps_0" aria-invalid="true">' in response.content
    assert b'value="3" id="id_csat_2" checked' in response.content
    assert b'id="id_improve">\nHi</textarea>' in response.content
    assert not SurveyResponse.objects.exists()


def test_it_shows_the_survey_in_two_queries(client, survey_touch, django_assert_num_queries):
    client.get(url(survey_touch))  # the feedback settings row exists from here on
    # the rate limit's read, then the touchpoint, wording and earlier answer in one statement
    with django_assert_num_queries(2):
        assert client.get(url(survey_touch)).status_code == 200


def test_it_shows_the_expired_page_on_a_get(client, survey_touch):
    Touchpoint.objects.filter(pk=survey_touch.pk).update(
        completed_at=timezone.now() - SURVEY_LIFETIME - dt.timedelta(minutes=1))
    response = client.get(url(survey_touch))
    assert response.status_code == 200
    assert b"This link has expired" in response.content


def test_it_shows_the_default_wording_before_the_owner_sets_any(client, survey_touch):
    page = client.get(url(survey_touch)).content.decode()
    assert f"<legend>{DEFAULT_QUESTIONS['q_csat']}</legend>" in page


def test_it_shows_the_owners_wording_as_soon_as_it_changes(client, survey_touch):
    client.get(url(survey_touch))
    FeedbackSettings.objects.filter(business=survey_touch.business).update(
        q_csat="Was the van tidy?")
    assert b"<legend>Was the van tidy?</legend>" in client.get(url(survey_touch)).content


def test_it_shows_its_own_businesss_wording_only(client, survey_touch, other_business):
    FeedbackSettings.objects.create(business=other_business, q_csat="How were the buns?")
    FeedbackSettings.objects.create(business=survey_touch.business, q_csat="Was it tidy?")
    page = client.get(url(survey_touch)).content
    assert b"Was it tidy?" in page and b"buns" not in page


def test_it_offers_no_edit_once_the_edit_window_has_passed(client, survey_touch):
    submit_response(survey_touch, {"nps": 8},
                    now=timezone.now() - EDIT_WINDOW - dt.timedelta(minutes=1))
    page = client.get(url(survey_touch)).content
    assert b"You answered recently" not in page
    assert b'id="id_nps_8" checked' not in page


def test_it_offers_only_this_links_answer_for_editing(client, survey_touch, engagement):
    other = make_touch(engagement, key="another survey")
    submit_response(other, {"nps": 8})
    page = client.get(url(survey_touch)).content
    assert b"You answered recently" not in page
    assert b'id="id_nps_8" checked' not in page


def test_it_heads_the_page_with_the_business_and_no_app_navigation(client, survey_touch):
    response = client.get(url(survey_touch))
    page = response.content.decode()
    assert f'<span class="brand">{survey_touch.business.name}</span>' in page
    assert "/login/" not in page and "<nav" not in page and "<script" not in page
    assert "csrftoken" not in response.cookies  # the form is csrf_exempt: no cookie needed


def test_it_shows_the_owners_questions_as_text(client, survey_touch):
    hostile = '<script>alert("q")</script>&'
    FeedbackSettings.objects.update_or_create(
        business=survey_touch.business,
        defaults={"q_nps": hostile, "q_went_well": hostile, "q_testimonial": hostile})
    page = client.get(url(survey_touch)).text
    assert "<script>" not in page
    assert page.count("&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;&amp;") == 3
