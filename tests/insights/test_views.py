"""The Insights page, its CSV exports, the one-click fix and the tags on the engagement and
customer pages: for the owner, staff, an outsider and anonymous visitors."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.insights import metrics as m
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Step
from followthrough.touchpoints import services
from tests.insights.factories import customer, engagement, touch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def service_job(business):
    """The built-in Service job, with its social invite taken out, so it has a gap."""
    job = install_builtin_playbooks(business)[0]
    job.steps.filter(element=v.SOCIAL_INVITE).delete()
    return job


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_it_shows_the_dashboard_to_the_owner(owner_client, service_job):
    response = owner_client.get("/insights/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Follow-up after each job", "Follow-up gaps per job",
                 "Gaps in your playbooks", "Touch-point coverage", "Relationship health",
                 "Net Promoter Score", "Business outcomes", 'role="img"', "<title id=",
                 "Word of mouth: an estimate", "+ Add Follow us online"):
        assert text in page, text
    for essay_term in ("Practice delta", "Design delta", "post-service delta"):
        assert essay_term not in page, essay_term


def test_it_shows_each_playbooks_gaps_beside_the_summary(owner_client, service_job):
    service_job.steps.filter(element=v.SUBSCRIBE_INVITE).delete()
    page = owner_client.get("/insights/").content.decode()
    summary = page.split("Gaps in your playbooks", 1)[1].split("</div>", 1)[0]
    assert '<span class="stat-value">2</span>' in summary
    assert "Product order: none; Service job: 2 missing" in summary


def test_it_ships_the_service_job_with_all_five_post_service_elements(owner_client,
                                                                        business):
    install_builtin_playbooks(business)
    assert all(not g["missing"] for g in m.playbook_gaps(business))
    page = owner_client.get("/insights/").content.decode()
    summary = page.split("Gaps in your playbooks", 1)[1].split("</div>", 1)[0]
    assert '<span class="stat-value">0</span>' in summary
    assert "Service job: none" in summary


def test_it_cautions_below_thirty_responses(owner_client):
    page = owner_client.get("/insights/").content.decode()
    assert "Only 0 responses." in page


def test_it_shows_staff_the_figures_without_fix_buttons(staff, service_job):
    page = client_for(staff).get("/insights/").content.decode()
    assert "Relationship health" in page
    assert "+ Add" not in page
    assert "An owner can add them from here." in page


def test_it_falls_back_to_ninety_days_for_an_unknown_period(owner_client):
    page = owner_client.get("/insights/?period=nonsense").content.decode()
    assert "Figures for last 90 days" in page


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/insights/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_it_exports_the_at_risk_table_as_csv(owner_client, business):
    customer(business, "=HYPERLINK(1)")
    who = customer(business, "Quiet Quinn")
    engagement(business, who, won=400)
    response = owner_client.get("/insights/export/at-risk.csv?period=all")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="riverside-plumbing-at-risk-all.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Customer", "Score", "Why"]
    assert rows[1][:3] == ["Quiet Quinn", "85", "No contact in 6 months"]


@pytest.mark.parametrize("table", ["delta-trend", "playbook-gaps", "coverage", "stages",
                                   "at-risk", "feedback", "outcomes"])
def test_it_exports_every_table(owner_client, service_job, table):
    response = owner_client.get(f"/insights/export/{table}.csv")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) >= 1


def test_it_quotes_cells_a_spreadsheet_would_run(owner_client, business):
    customer(business, "=cmd()")
    Promise = __import__("followthrough.agenda.models", fromlist=["Promise"]).Promise
    who = customer(business, "=cmd()x")
    Promise.objects.create(business=business, customer=who, what="x",
                           due_on=timezone.now().date(), status="broken")
    body = owner_client.get("/insights/export/at-risk.csv").content.decode()
    assert "'=cmd()x" in body


def test_it_404s_an_unknown_table(owner_client):
    assert owner_client.get("/insights/export/secrets.csv").status_code == 404


def test_it_adds_a_missing_element_from_the_library_and_replans(
        owner_client, business, service_job, django_capture_on_commit_callbacks):
    who = customer(business)
    now = timezone.now()
    eng = services.create_engagement(business, who, service_job, kind="Job",
                                     won_at=now, delivered_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/insights/playbooks/{service_job.public_id}/add-element/",
            {"element": v.SOCIAL_INVITE})
    assert response.status_code == 302
    step = service_job.steps.get(element=v.SOCIAL_INVITE)
    assert step.name == "Follow us online"
    assert step == service_job.steps.order_by("-position").first()
    # playbook_changed fired: the open job now has the new step in its plan.
    assert eng.touchpoints.filter(step=step, status="planned").exists()


def test_it_refuses_an_element_outside_the_five(owner_client, service_job):
    before = Step.objects.count()
    response = owner_client.post(f"/insights/playbooks/{service_job.public_id}/add-element/",
                                 {"element": "referral"}, follow=True)
    assert "Choose one of the five post-service elements" in response.content.decode()
    assert Step.objects.count() == before


def test_it_does_not_add_an_element_twice(owner_client, service_job):
    before = Step.objects.count()
    response = owner_client.post(f"/insights/playbooks/{service_job.public_id}/add-element/",
                                 {"element": v.CHECK_IN}, follow=True)
    assert "already has a check-in step" in response.content.decode()
    assert Step.objects.count() == before


def test_it_lets_only_owners_add_an_element(staff, service_job):
    response = client_for(staff).post(
        f"/insights/playbooks/{service_job.public_id}/add-element/",
        {"element": v.SOCIAL_INVITE})
    assert response.status_code == 404
    assert not service_job.steps.filter(element=v.SOCIAL_INVITE).exists()


def test_it_hides_another_business_playbook_from_the_fix(outsider_client, service_job):
    response = outsider_client.post(
        f"/insights/playbooks/{service_job.public_id}/add-element/",
        {"element": v.SOCIAL_INVITE})
    assert response.status_code == 404


def test_it_refuses_a_get_on_the_fix(owner_client, service_job):
    response = owner_client.get(f"/insights/playbooks/{service_job.public_id}/add-element/")
    assert response.status_code == 405


def test_it_shows_the_delta_on_the_engagement_page(owner_client, business):
    eng = engagement(business, customer(business), delivered=3)
    touch(eng, v.CHECK_IN)
    touch(eng, v.SOCIAL_INVITE, "missed")
    touch(eng, v.FEEDBACK, "planned", due=-4000)  # years from now: not due yet
    page = owner_client.get(f"/customers/engagements/{eng.public_id}/").content.decode()
    assert "1 of 2 due missed" in page
    assert "Feedback<span class=\"small muted\"> (not due yet)" in page
    assert "Thank-you<span class=\"small muted\"> (not in this job's plan)" in page


def test_it_says_nothing_is_due_on_a_job_just_saved(owner_client, business):
    eng = engagement(business, customer(business), delivered=0)
    for element in m.ELEMENTS:
        touch(eng, element, "planned", due=-4000)
    page = owner_client.get(f"/customers/engagements/{eng.public_id}/").content.decode()
    assert "Nothing due yet" in page and "Nothing has come due yet." in page
    assert "missed" not in page.split("After the job", 1)[1]


def test_it_shows_health_and_deltas_on_the_customer_page(owner_client, business):
    who = customer(business)
    eng = engagement(business, who, delivered=3)
    for element in (v.CHECK_IN, v.FEEDBACK):
        touch(eng, element)
    page = owner_client.get(f"/customers/{who.public_id}/").content.decode()
    # The factories date everything from a fixed day in June 2026 while the page reads the
    # clock, so the score itself is tested in test_metrics (with the same fixed day).
    assert "Relationship health" in page and re.search(r"\d+ / 100", page)
    assert "2 of 2 due done" in page
    touch(eng, v.THANK_YOU, "skipped")
    page = owner_client.get(f"/customers/{who.public_id}/").content.decode()
    assert "1 of 3 due missed" in page and "Missed: Thank-you" in page


def test_it_recomputes_after_a_change(owner_client, business):
    owner_client.get("/insights/")
    customer(business, "Brand New")
    engagement(business, customer(business, "Quiet"), won=400)
    page = owner_client.get("/insights/?period=90").content.decode()
    assert "Quiet" in page


def test_it_shows_the_lowest_scores_and_exports_them_all(owner_client, business):
    for n in range(27):
        engagement(business, customer(business, f"Quiet {n:02d}"), won=400)
    page = owner_client.get("/insights/").content.decode()
    assert "The 25 lowest scores are below" in page
    assert "Quiet 24" in page and "Quiet 25" not in page
    body = owner_client.get("/insights/export/at-risk.csv").content.decode()
    assert len(body.strip().splitlines()) == 28
