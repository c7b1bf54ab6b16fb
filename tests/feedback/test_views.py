import pytest

from followthrough.feedback import services
from followthrough.feedback.models import FeedbackSettings, Incident, SurveyResponse
from followthrough.touchpoints.models import Touchpoint


@pytest.mark.parametrize("prefix", ["s", "social", "n", "r"])
def test_it_answers_404_with_a_kind_page_for_forged_tokens(client, db, prefix):
    response = client.get(f"/{prefix}/forged-token-123")
    assert response.status_code == 404
    assert b"find that page" in response.content


def test_it_filters_feedback_by_score(owner_client, survey_touch, engagement):
    services.submit_response(survey_touch, {"nps": 10, "went_well": "Lovely job"})
    SurveyResponse.objects.create(business=engagement.business, customer=engagement.customer,
                                  engagement=engagement, nps=2, improve="Too slow")
    page = owner_client.get("/feedback/?score=promoters&period=30").content
    assert b"Lovely job" in page and b"Too slow" not in page


def test_it_shows_responses_on_the_customer_page(owner_client, survey_touch):
    services.submit_response(survey_touch, {"nps": 9, "went_well": "Quick & tidy"})
    page = owner_client.get(f"/customers/{survey_touch.customer.public_id}/").content
    assert b"Quick &amp; tidy" in page


def test_it_lets_the_owner_flag_a_complaint(owner_client, customer, engagement):
    owner_client.post(f"/customers/{customer.public_id}/complaint/", {"summary": "Rude on site"})
    assert Incident.objects.get().reason == Incident.COMPLAINT
    assert Touchpoint.objects.get(name="Recovery call").priority == 100


def test_it_resolves_an_incident_with_a_note(owner_client, customer, engagement):
    incident = services.open_incident(customer, engagement, Incident.COMPLAINT, "Late")
    owner_client.post(f"/feedback/incidents/{incident.public_id}/resolve/",
                      {"note": "Apologised, refunded the call-out"})
    incident.refresh_from_db()
    assert incident.resolved_at and incident.resolution_note.startswith("Apologised")
    assert b"Resolved in" in owner_client.get("/feedback/incidents/").content


def test_it_refuses_to_resolve_without_a_note(owner_client, customer, engagement):
    incident = services.open_incident(customer, engagement, Incident.COMPLAINT, "Late")
    response = owner_client.post(f"/feedback/incidents/{incident.public_id}/resolve/",
                                 {"note": ""}, follow=True)
    assert b"Resolution note" in response.content
    assert Incident.objects.get().is_open


def test_it_exports_only_approved_testimonials(owner_client, customer, engagement):
    kept = SurveyResponse.objects.create(business=engagement.business, customer=customer,
                                         engagement=engagement, went_well="=Superb <b>",
                                         quote_as="initials")
    SurveyResponse.objects.create(business=engagement.business, customer=customer,
                                  engagement=engagement, went_well="Not yet", quote_as="full")
    owner_client.post(f"/feedback/testimonials/{kept.public_id}/", {"decision": "approved"})
    csv = owner_client.get("/feedback/testimonials.csv").content.decode()
    assert csv.splitlines()[1].startswith("'=Superb <b>,J. O.")
    snippet = owner_client.get("/feedback/testimonials.html").content.decode()
    assert "=Superb &lt;b&gt;" in snippet and "Not yet" not in snippet


def test_it_saves_review_links_and_survey_questions(owner_client, business):
    response = owner_client.post("/settings/reviews/", {
        "google_review_url": "https://g.page/r/x/review", "q_nps": "Would you recommend us?",
        "q_csat": "Happy?", "q_went_well": "Good?", "q_improve": "Better?",
        "q_anything_else": "More?", "q_testimonial": "Quote you?",
    })
    assert response.status_code == 302
    saved = FeedbackSettings.objects.get(business=business)
    assert saved.review_links() == {"google": ("Google", "https://g.page/r/x/review")}


def test_it_names_the_field_of_a_bad_review_link(owner_client):
    response = owner_client.post("/settings/reviews/", {"google_review_url": "not a url"})
    assert response.status_code == 400
    assert b"Google review link: Enter a valid URL." in response.content


def test_it_hides_review_settings_from_staff(client, staff):
    client.force_login(staff)
    assert client.get("/settings/reviews/").status_code == 404
