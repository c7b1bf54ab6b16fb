"""A customer taps a score in the email on a phone: the page records it in the browser,
with script and without."""

import pytest

from followthrough.feedback.models import SurveyResponse
from tests.browser.test_sale_flow import visit
from tests.feedback.conftest import make_touch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def survey_touch(business):
    from django.utils import timezone

    from followthrough.customers.models import Customer, Engagement

    customer = Customer.objects.create(business=business, name="Robin Lee",
                                       email="robin@example.com")
    now = timezone.now()
    engagement = Engagement.objects.create(business=business, customer=customer, kind="Job",
                                           description="the kitchen tap", won_at=now,
                                           delivered_at=now)
    return make_touch(engagement)


def test_it_records_the_tapped_score_when_the_page_opens(live_server, browser, artifacts,
                                                         survey_touch):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/{survey_touch.link_token}?nps=9")
        page.get_by_text("your score of 9 is saved").wait_for(timeout=30_000)
        assert SurveyResponse.objects.get().nps == 9
        assert page.get_by_role("button", name="Send my score of 9").count() == 0
        visit(page, 390, artifacts, "survey-one-tap-saved")

        page.locator("label.scale-option", has_text="10").first.click()
        page.get_by_label("What went well").fill("Quick, tidy and friendly.")
        page.get_by_role("button", name="Send my answers").click()
        page.get_by_role("heading", name="Thank you").wait_for(timeout=30_000)
        answer = SurveyResponse.objects.get()
        assert (answer.nps, answer.went_well) == (10, "Quick, tidy and friendly.")
    finally:
        context.close()


def test_it_records_the_tapped_score_with_the_button_when_script_is_off(live_server, browser,
                                                                        survey_touch):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/{survey_touch.link_token}?nps=3")
        assert not SurveyResponse.objects.exists()
        page.get_by_role("button", name="Send my score of 3").click()
        page.get_by_text("your score of 3 is saved").wait_for(timeout=30_000)
        assert SurveyResponse.objects.get().nps == 3
        assert page.locator("input[name=nps][value='3']").is_checked()
    finally:
        context.close()
