"""Each figure's definition, on hand-built rows with exact expected numbers."""

import datetime as dt

import pytest

from followthrough import vocabulary as v
from followthrough.agenda.models import Promise
from followthrough.feedback.models import Incident, ReviewClick, SurveyResponse
from followthrough.insights import metrics as m
from followthrough.playbooks.models import Playbook, Step
from tests.insights.factories import NOW, customer, days_ago, engagement, touch

pytestmark = pytest.mark.django_db

CHECK_IN, FEEDBACK, THANKS = v.CHECK_IN, v.FEEDBACK, v.THANK_YOU
SOCIAL, SUBSCRIBE = v.SOCIAL_INVITE, v.SUBSCRIBE_INVITE


def period(key="90"):
    return m.period(key, now=NOW)


def response(business, eng, nps=None, csat=None, at=5, tp=None):
    return SurveyResponse.objects.create(
        business=business, customer_id=eng.customer_id, engagement=eng, touchpoint=tp,
        nps=nps, csat=csat, created_at=days_ago(at))


# --------------------------------------------------------------- the empty business

def test_it_gives_an_empty_business_no_averages(business):
    p = period("all")
    assert m.practice_delta(business, p) == m.gaps_figure(0, 0, 0)
    assert m.gaps_figure(0, 0, 0)["average"] is None
    assert m.design_delta(business) == list(m.ELEMENTS)
    assert all(r["total"] == 0 and r["completed_rate"] is None
               for r in m.stage_outcomes(business, p))
    assert m.repeat_purchase(business, p) == {"customers": 0, "repeat": 0, "rate": None}
    assert m.time_to_next_purchase(business, p) == {"pairs": 0, "median_days": None}
    assert m.referrals(business, p) == {"made": 0, "converted": 0, "rate": None}
    assert m.maintenance_jobs(business, p) == {"reminders": 0, "jobs": 0, "rate": None}
    assert m.health(business, now=NOW) == {}
    assert m.health_summary({}) == {"customers": 0, "average": None, "at_risk": 0}


def test_it_gives_an_empty_business_feedback_with_a_caution(business):
    f = m.feedback_metrics(business, period())
    assert f["responses"] == 0 and f["small_sample"] is True
    assert f["nps"] is None and f["csat"] is None and f["response_rate"] is None
    assert f["median_hours_to_resolve"] is None
    assert f["word_of_mouth"]["unhappy_high"] == 0


def test_it_draws_an_empty_trend_for_an_empty_business(business):
    trend = m.delta_trend(business, period())
    assert len(trend) == 12
    assert all(t["engagements"] == 0 and t["practice"] is None for t in trend)


# -------------------------------------------------------------------- the delta

def test_it_counts_a_due_element_that_was_not_sent_or_done_as_missing(business):
    eng = engagement(business, customer(business), delivered=20)
    touch(eng, CHECK_IN, "sent")
    touch(eng, CHECK_IN, "sent")  # a repeat counts once
    touch(eng, FEEDBACK, "done", channel="call")
    touch(eng, THANKS, "planned")  # due ten days ago, still not sent
    touch(eng, SOCIAL, "skipped")
    touch(eng, v.REVIEW, "sent")  # not one of the five
    delta = m.engagement_delta(eng, NOW)
    assert (delta.count, delta.due_count) == (2, 4)
    assert delta.missing == (THANKS, SOCIAL)


def test_it_does_not_count_a_step_that_is_not_due_yet(business):
    """A job delivered yesterday is not missing next week's feedback request."""
    eng = engagement(business, customer(business), delivered=1)
    touch(eng, CHECK_IN, "sent", due=0.5)
    touch(eng, FEEDBACK, "planned", due=-7)
    delta = m.engagement_delta(eng, NOW)
    assert (delta.count, delta.due_count) == (0, 1)
    assert dict(delta.rows) == {"Check-in": "done", "Feedback": "later",
                                "Thank-you": "unplanned", "Social invite": "unplanned",
                                "Subscribe invite": "unplanned"}


def test_it_counts_a_step_done_early_as_done(business):
    eng = engagement(business, customer(business), delivered=1)
    touch(eng, THANKS, "done", due=-3, completed=0.5, channel="call")
    delta = m.engagement_delta(eng, NOW)
    assert (delta.count, delta.due_count, delta.happened) == (0, 1, {THANKS})


def test_it_has_no_delta_before_delivery_or_after_cancelling(business):
    who = customer(business)
    assert m.engagement_delta(engagement(business, who)) is None
    assert m.engagement_delta(engagement(business, who, delivered=5, cancelled=1)) is None


def test_it_counts_nothing_missing_right_after_a_job_is_saved(business):
    eng = engagement(business, customer(business), delivered=0)
    for n, element in enumerate(m.ELEMENTS):
        touch(eng, element, "planned", due=-1 - n)
    delta = m.engagement_delta(eng, NOW)
    assert (delta.count, delta.due_count) == (0, 0)


def test_it_shows_zero_gaps_for_a_business_that_does_every_step_on_time(business):
    who = customer(business)
    for delivered in (5, 20, 60):
        eng = engagement(business, who, delivered=delivered)
        for n, element in enumerate(m.ELEMENTS):  # the last ones still to come
            touch(eng, element, "sent" if delivered - 4 * n > 0 else "planned",
                  due=delivered - 4 * n, completed=max(delivered - 4 * n, 0))
    for key in m.PERIODS:
        assert m.practice_delta(business, period(key))["average"] == 0.0
    assert all(t["practice"] in (None, 0.0) for t in m.delta_trend(business, period()))


def test_it_averages_the_practice_delta_over_engagements_delivered_in_the_period(business):
    who = customer(business)
    one = engagement(business, who, delivered=20)
    for element in (CHECK_IN, FEEDBACK):
        touch(one, element)
    touch(one, THANKS, "missed")
    touch(one, SOCIAL, "planned", due=-5)  # still to come: not a gap
    zero = engagement(business, who, delivered=40)
    for element in m.ELEMENTS:
        touch(zero, element, "done", channel="call")
    engagement(business, who)  # not delivered
    engagement(business, who, delivered=10, cancelled=5)  # cancelled
    old = engagement(business, who, delivered=200)  # outside the 90 days
    touch(old, SUBSCRIBE, "skipped", due=190)
    assert m.practice_delta(business, period("90")) == {
        "average": 0.5, "engagements": 2, "due": 8, "missing": 1}
    assert m.practice_delta(business, period("all")) == {
        "average": 0.67, "engagements": 3, "due": 9, "missing": 2}
    assert m.practice_delta(business, period("30")) == {
        "average": 1.0, "engagements": 1, "due": 3, "missing": 1}


def test_it_lists_the_elements_no_active_playbook_contains(business):
    active = Playbook.objects.create(business=business, slug="a", name="A")
    Step.objects.create(playbook=active, name="x", element=CHECK_IN)
    Step.objects.create(playbook=active, name="y", element=FEEDBACK)
    idle = Playbook.objects.create(business=business, slug="b", name="B", is_active=False)
    Step.objects.create(playbook=idle, name="z", element=SOCIAL)
    assert m.design_delta(business) == [THANKS, SOCIAL, SUBSCRIBE]
    gaps = m.playbook_gaps(business)
    assert [(g["playbook"].name, g["missing"]) for g in gaps] == [
        ("A", [THANKS, SOCIAL, SUBSCRIBE])]


def test_it_trends_both_deltas_by_month_of_delivery(business):
    who = customer(business)
    # NOW is 15 June 2026 (business zone America/New_York).
    may = engagement(business, who, delivered=30)  # 16 May
    touch(may, CHECK_IN)
    touch(may, FEEDBACK, "planned")
    june = engagement(business, who, delivered=3)  # 12 June
    for element in (CHECK_IN, FEEDBACK, THANKS):
        touch(june, element)
    june2 = engagement(business, who, delivered=1)
    touch(june2, CHECK_IN)
    touch(june2, SOCIAL, "planned", due=-3)  # not due yet: planned, not a gap
    trend = {t["month"]: t for t in m.delta_trend(business, period())}
    assert trend[dt.date(2026, 5, 1)] == {"month": dt.date(2026, 5, 1), "engagements": 1,
                                          "practice": 1.0, "design": 3}
    assert trend[dt.date(2026, 6, 1)] == {"month": dt.date(2026, 6, 1), "engagements": 2,
                                          "practice": 0.0, "design": 1}
    assert trend[dt.date(2026, 4, 1)]["practice"] is None


def test_it_finds_the_library_step_anchored_on_delivery(business):
    assert m.library_step(THANKS)["name"] == "Thank you"
    assert m.library_step(SUBSCRIBE)["name"] == "Stay in the loop?"
    assert all(m.library_step(e) for e in m.ELEMENTS)


# ------------------------------------------------------------------- coverage

def test_it_maps_the_stages_each_active_playbook_covers(business):
    pb = Playbook.objects.create(business=business, slug="a", name="A")
    for stage in (1, 4, 4):
        Step.objects.create(playbook=pb, name="s", stage=stage)
    Playbook.objects.create(business=business, slug="b", name="B", is_active=False)
    cov = m.coverage_map(business)
    assert [(c["playbook"].name, c["stages"]) for c in cov] == [("A", [1, 0, 0, 2])]


def test_it_counts_completed_skipped_and_missed_per_stage(business):
    eng = engagement(business, customer(business), delivered=20)
    touch(eng, THANKS, "sent", stage=1)
    touch(eng, THANKS, "done", stage=1, channel="card")
    touch(eng, CHECK_IN, "skipped", stage=1)
    touch(eng, CHECK_IN, "failed", stage=3)
    touch(eng, CHECK_IN, "missed", stage=3)
    touch(eng, CHECK_IN, "cancelled", stage=4)  # left out
    touch(eng, CHECK_IN, "planned", stage=4)  # left out
    touch(eng, CHECK_IN, "sent", stage=4, due=120)  # outside 90 days
    rows = {r["stage"]: r for r in m.stage_outcomes(business, period())}
    assert (rows[1]["completed"], rows[1]["skipped"], rows[1]["missed"]) == (2, 1, 0)
    assert rows[1]["completed_rate"] == 66.7
    assert (rows[3]["completed"], rows[3]["missed"], rows[3]["completed_rate"]) == (0, 2, 0.0)
    assert rows[4]["total"] == 0 and rows[2]["completed_rate"] is None


# ------------------------------------------------------------------- feedback

def test_it_computes_nps_and_csat_from_answers_in_the_period(business):
    eng = engagement(business, customer(business), delivered=20)
    for nps, csat in ((10, 5), (9, 4), (8, 2), (3, None)):
        response(business, eng, nps=nps, csat=csat)
    response(business, eng, nps=0, at=200)  # outside the period
    f = m.feedback_metrics(business, period())
    assert (f["responses"], f["promoters"], f["passives"], f["detractors"]) == (4, 2, 1, 1)
    assert f["nps"] == 25
    assert (f["csat"], f["csat_answers"]) == (66.7, 3)
    assert f["small_sample"] is True


def test_it_scores_a_tie_between_promoters_and_detractors_as_zero(business):
    eng = engagement(business, customer(business), delivered=20)
    for nps in (10, 0):
        response(business, eng, nps=nps)
    assert m.feedback_metrics(business, period())["nps"] == 0


def test_it_drops_the_caution_at_thirty_responses(business):
    eng = engagement(business, customer(business), delivered=20)
    for _ in range(30):
        response(business, eng, nps=9)
    f = m.feedback_metrics(business, period())
    assert (f["responses"], f["small_sample"], f["nps"]) == (30, False, 100)


def test_it_counts_answered_feedback_requests_for_the_response_rate(business):
    eng = engagement(business, customer(business), delivered=20)
    asked = touch(eng, FEEDBACK, "sent", completed=10)
    touch(eng, FEEDBACK, "sent", completed=9)
    touch(eng, FEEDBACK, "planned")
    response(business, eng, nps=9, tp=asked)
    response(business, eng, nps=8, tp=asked)  # a second answer to the same request
    f = m.feedback_metrics(business, period())
    assert (f["answered"], f["requests"], f["response_rate"]) == (1, 2, 50.0)


def test_it_takes_the_median_time_to_resolve_incidents_resolved_in_the_period(business):
    who = customer(business)
    for opened, hours in ((10, 2), (12, 4)):
        Incident.objects.create(business=business, customer=who, reason="nps",
                                opened_at=days_ago(opened),
                                resolved_at=days_ago(opened) + dt.timedelta(hours=hours))
    Incident.objects.create(business=business, customer=who, reason="nps",
                            opened_at=days_ago(1))
    f = m.feedback_metrics(business, period())
    assert (f["resolved_incidents"], f["median_hours_to_resolve"], f["open_incidents"]) == (
        2, 3.0, 1)


def test_it_estimates_word_of_mouth_from_the_published_ranges():
    assert m.word_of_mouth(promoters=2, passives=5, detractors=1) == {
        "unhappy_low": 20, "unhappy_high": 30, "happy_low": 14, "happy_high": 20,
        "promoters": 2, "passives": 5, "detractors": 1}


def test_it_counts_review_clicks_by_site(business):
    eng = engagement(business, customer(business), delivered=20)
    tp = touch(eng, v.REVIEW)
    for site, at in (("google", 1), ("google", 2), ("yelp", 3), ("google", 300)):
        ReviewClick.objects.create(business=business, touchpoint=tp, site=site,
                                   at=days_ago(at))
    assert m.review_clicks(business, period()) == {"clicks": 3,
                                                   "by_site": {"google": 2, "yelp": 1}}


# ----------------------------------------------------------------- outcomes

def test_it_counts_repeat_buyers_among_customers_who_bought_in_the_period(business):
    a, b, c = (customer(business, n) for n in ("A", "B", "C"))
    engagement(business, a, won=10)
    engagement(business, a, won=400)
    engagement(business, b, won=20)
    engagement(business, c, won=5)
    engagement(business, c, won=6, cancelled=1)
    assert m.repeat_purchase(business, period()) == {"customers": 3, "repeat": 1,
                                                     "rate": 33.3}


def test_it_takes_the_median_days_to_the_next_purchase(business):
    a, b = customer(business, "A"), customer(business, "B")
    for won in (60, 50, 30):  # gaps of 10 and 20 days
        engagement(business, a, won=won)
    engagement(business, b, won=80)
    engagement(business, b, won=500)  # a gap of 420 days, ending inside the 90 days
    assert m.time_to_next_purchase(business, period()) == {"pairs": 3, "median_days": 20.0}
    assert m.time_to_next_purchase(business, period("30")) == {"pairs": 1,
                                                               "median_days": 20.0}


def test_it_counts_referrals_made_and_converted(business):
    referrer = customer(business, "Ref")
    bought = customer(business, "Bought", referred_by=referrer)
    customer(business, "Browsing", referred_by=referrer)
    engagement(business, bought, won=1)
    assert m.referrals(business, m.period("30")) == {"made": 2, "converted": 1, "rate": 50.0}


def test_it_counts_maintenance_reminders_that_became_jobs(business):
    a, b = customer(business, "A"), customer(business, "B")
    old_a = engagement(business, a, won=400, delivered=390)
    touch(old_a, v.MAINTENANCE, "sent", completed=50)
    engagement(business, a, won=20)  # 30 days after the reminder
    old_b = engagement(business, b, won=400, delivered=390)
    touch(old_b, v.MAINTENANCE, "sent", completed=40)
    assert m.maintenance_jobs(business, period()) == {"reminders": 2, "jobs": 1, "rate": 50.0}


# ------------------------------------------------------------------ health

def test_it_scores_a_single_happy_customer_100(business):
    who = customer(business)
    eng = engagement(business, who, won=20, delivered=10)
    touch(eng, THANKS, completed=9)
    response(business, eng, nps=10)
    h = m.health(business, now=NOW)[who.pk]
    assert (h.score, h.reasons, h.latest_score) == (100, [], 10)
    assert h.last_contact == days_ago(9)


def test_it_takes_points_off_for_each_warning_sign(business):
    who = customer(business)
    eng = engagement(business, who, won=400, delivered=390)
    touch(eng, v.MAINTENANCE, "missed", due=300)
    response(business, eng, nps=4, at=300)
    Incident.objects.create(business=business, customer=who, reason="nps",
                            opened_at=days_ago(300))
    for status in ("broken", "broken", "broken", "kept"):
        Promise.objects.create(business=business, customer=who, what="Call back",
                               due_on=days_ago(300).date(), status=status)
    h = m.health(business, now=NOW)[who.pk]
    assert (h.detractor_unrecovered, h.open_incident, h.maintenance_overdue, h.no_contact) == (
        True, True, True, True)
    assert (h.promises_kept, h.promises_broken, h.promise_keeping) == (1, 3, 25.0)
    assert h.score == 0  # 100 - 30 - 25 - 2 × 15 - 15 - 15, never below zero


def test_it_counts_a_detractor_won_back_once_an_incident_is_resolved_after(business):
    who = customer(business)
    eng = engagement(business, who, won=20, delivered=10)
    response(business, eng, nps=2, at=8)
    Incident.objects.create(business=business, customer=who, reason="nps",
                            opened_at=days_ago(8), resolved_at=days_ago(6))
    h = m.health(business, now=NOW)[who.pk]
    assert (h.detractor_unrecovered, h.open_incident, h.score) == (False, False, 100)


def test_it_marks_a_reminder_sent_long_ago_with_no_job_since_as_overdue(business):
    a, b = customer(business, "A"), customer(business, "B")
    for who in (a, b):
        eng = engagement(business, who, won=400, delivered=390)
        touch(eng, v.MAINTENANCE, "sent", completed=70)
    engagement(business, b, won=10)  # booked
    health = m.health(business, now=NOW)
    assert health[a.pk].maintenance_overdue is True
    assert health[b.pk].maintenance_overdue is False


def test_it_lists_customers_at_risk_lowest_score_first_and_ties_by_name(business):
    names = ("Zoe", "Adam", "Mia", "Fine")
    people = {n: customer(business, n) for n in names}
    for n in ("Zoe", "Adam"):
        Promise.objects.create(business=business, customer=people[n], what="x",
                               due_on=NOW.date(), status="broken")
    Incident.objects.create(business=business, customer=people["Mia"], reason="nps")
    health = m.health(business, now=NOW)
    assert [h.name for h in m.at_risk(health)] == ["Mia", "Adam", "Zoe"]
    assert [h.score for h in m.at_risk(health)] == [75, 85, 85]
    assert m.health_summary(health) == {"customers": 4, "average": 86.2, "at_risk": 3}


def test_it_flags_no_contact_after_six_months_only(business):
    quiet, recent = customer(business, "Quiet"), customer(business, "Recent")
    engagement(business, quiet, won=200)
    engagement(business, recent, won=200)
    touch(engagement(business, recent, won=190), THANKS, completed=30)
    health = m.health(business, now=NOW)
    assert health[quiet.pk].no_contact is True
    assert health[recent.pk].no_contact is False
