"""The rollups give the page the same figures as the definitions in metrics.py, and they
follow every kind of change: touchpoints moved by bulk updates, rows settled by update(),
rows saved through the ORM, customers deleted."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.agenda.models import Promise
from followthrough.customers.models import Customer
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.insights import dashboard, rollup
from followthrough.insights import metrics as m
from followthrough.insights.models import CustomerRollup, RollupState, StaleCustomer
from followthrough.touchpoints.models import Touchpoint
from followthrough.touchpoints.worker import PassReport, pass_finished
from tests.insights.factories import NOW, customer, days_ago, engagement, touch

pytestmark = pytest.mark.django_db


def period(key="90"):
    return m.period(key, now=NOW)


def caught_up(business):
    """Mark the rollups as having read everything up to now, so a later refresh sees only
    what a test changes after this."""
    rollup.refresh(business)
    RollupState.objects.filter(business=business).update(touchpoints_seen=timezone.now())
    StaleCustomer.objects.all().delete()


def mixed_business(business):
    """Customers in every state the score knows, with names that tie and sort unusually."""
    people = {}
    for name in ("Zoe", "adam", "Mia z", "Mia-a", "Ébène", "Fine", "Quiet", "Lapsed"):
        people[name] = customer(business, name)
    for name in ("Zoe", "adam", "Mia z", "Mia-a", "Ébène"):
        Promise.objects.create(business=business, customer=people[name], what="x",
                               due_on=NOW.date(), status="broken")
    Incident.objects.create(business=business, customer=people["Mia z"], reason="nps")
    eng = engagement(business, people["Zoe"], won=400, delivered=390)
    touch(eng, v.MAINTENANCE, "sent", completed=70)
    touch(eng, v.CHECK_IN, "sent", completed=380)
    touch(eng, v.FEEDBACK, "planned", due=5)
    SurveyResponse.objects.create(business=business, customer=people["Zoe"], engagement=eng,
                                  nps=3, created_at=days_ago(200))
    fine = engagement(business, people["Fine"], won=20, delivered=10)
    for element in (v.CHECK_IN, v.FEEDBACK, v.THANK_YOU):
        touch(fine, element, "done", completed=8, channel="call")
    engagement(business, people["Quiet"], won=300)
    lapsed = engagement(business, people["Lapsed"], won=500, delivered=480)
    touch(lapsed, v.MAINTENANCE, "missed", due=100)
    engagement(business, people["adam"], won=40, delivered=35, cancelled=30)
    return people


def expected_risk(business):
    health = m.health(business, now=NOW)
    return health, [(h.name, h.score, h.reasons) for h in m.at_risk(health)]


def test_it_ranks_and_summarises_health_as_the_definitions_do(business):
    mixed_business(business)
    health, expected = expected_risk(business)
    rollup.refresh(business)
    groups = rollup.score_groups(business, NOW)
    assert rollup.health_summary(business, groups) == m.health_summary(health)
    ranked = rollup.at_risk(business, NOW, groups)
    assert [(h.name, h.score, h.reasons) for h in ranked] == expected
    assert [h.name for h in rollup.at_risk(business, NOW, groups, limit=3)] == [
        name for name, _, _ in expected[:3]]


def test_it_ties_names_in_the_same_order_as_python(business):
    mixed_business(business)
    rollup.refresh(business)
    names = [h.name for h in rollup.at_risk(business, NOW, rollup.score_groups(business, NOW))]
    ties = [n for n in names if n in ("adam", "Mia-a", "Ébène")]
    assert ties == ["adam", "Mia-a", "Ébène"]  # "mia-a" < "Ébène": code-point order


def test_it_gives_the_same_delta_figures_as_the_definitions_for_every_period(business):
    who = customer(business)
    for delivered, elements in ((3, (v.CHECK_IN, v.FEEDBACK)), (40, m.ELEMENTS),
                                (70, ()), (200, (v.THANK_YOU,)), (800, (v.SOCIAL_INVITE,))):
        eng = engagement(business, who, won=delivered + 5, delivered=delivered)
        for element in elements:
            touch(eng, element, "sent")
        touch(eng, v.SUBSCRIBE_INVITE, "planned")  # due, not sent: a gap
        touch(eng, v.THANK_YOU, "planned", due=-4)  # still to come: not one
        touch(eng, v.THANK_YOU, "missed", due=delivered - 1)
    touch(engagement(business, who, won=50, delivered=45, cancelled=1), v.CHECK_IN)
    rollup.refresh(business)
    for key in m.PERIODS:
        p = period(key)
        assert rollup.practice_delta(business, p) == m.practice_delta(business, p), key
        assert rollup.delta_trend(business, p) == m.delta_trend(business, p), key


def test_it_gives_the_same_outcome_figures_as_the_definitions_for_every_period(business):
    a, b, c = customer(business, "A"), customer(business, "B"), customer(business, "C")
    first = engagement(business, a, won=400)
    engagement(business, a, won=100)
    engagement(business, a, won=100)  # the same moment: a gap of 0 days
    engagement(business, a, won=20, cancelled=10)  # cancelled: never counted
    service = engagement(business, b, won=300)
    engagement(business, b, won=250)  # 50 days after the reminder: it became a job
    engagement(business, c, won=10)
    touch(first, v.MAINTENANCE, "sent", due=310, completed=300)
    touch(service, v.MAINTENANCE, "done", due=80)  # its own job never counts
    touch(service, v.MAINTENANCE, "missed", due=60)  # not sent: not a reminder
    touch(engagement(business, c, won=200), v.MAINTENANCE, "sent", due=20)
    asked = touch(service, v.FEEDBACK, "sent", due=50, completed=40)
    touch(first, v.FEEDBACK, "done", due=200)
    touch(first, v.FEEDBACK, "planned", due=-5)  # not sent yet: not asked
    SurveyResponse.objects.create(business=business, customer=b, engagement=service,
                                  touchpoint=asked, nps=9, created_at=days_ago(39))
    rollup.refresh(business)
    for key in m.PERIODS:
        p = period(key)
        assert rollup.repeat_purchase(business, p) == m.repeat_purchase(business, p), key
        assert (rollup.time_to_next_purchase(business, p)
                == m.time_to_next_purchase(business, p)), key
        assert rollup.maintenance_jobs(business, p) == m.maintenance_jobs(business, p), key
        assert (m.feedback_metrics(business, p, rollup.feedback_requests(business, p))
                == m.feedback_metrics(business, p)), key
    assert rollup.feedback_requests(business, period("all")) == (2, 1)
    assert rollup.maintenance_jobs(business, period("all"))["jobs"] == 1


def test_it_gives_an_empty_business_the_empty_figures(business):
    rollup.refresh(business)
    groups = rollup.score_groups(business, NOW)
    assert rollup.health_summary(business, groups) == m.health_summary({})
    assert rollup.at_risk(business, NOW, groups, limit=25) == []
    assert rollup.practice_delta(business, period()) == m.practice_delta(business, period())
    assert rollup.maintenance_jobs(business, period()) == m.maintenance_jobs(business, period())
    assert rollup.repeat_purchase(business, period()) == m.repeat_purchase(business, period())
    assert rollup.delta_trend(business, period()) == m.delta_trend(business, period())


def test_it_recomputes_only_the_customer_whose_touchpoint_a_bulk_update_moved(business):
    a, b = customer(business, "A"), customer(business, "B")
    job = engagement(business, a, won=20, delivered=10)
    engagement(business, b, won=20, delivered=10)
    planned = touch(job, v.THANK_YOU, "planned", due=1)
    caught_up(business)
    assert rollup.practice_delta(business, period())["average"] == 0.5
    Touchpoint.objects.filter(pk=planned.pk).update(status="sent", updated_at=timezone.now())
    assert rollup.refresh(business) == 1
    assert rollup.practice_delta(business, period())["average"] == 0.0


def test_it_sees_a_promise_settled_by_an_update_without_signals(business):
    who = customer(business)
    promise = Promise.objects.create(business=business, customer=who, what="x",
                                     due_on=NOW.date())
    caught_up(business)
    Promise.objects.filter(pk=promise.pk).update(status="broken", resolved_at=timezone.now())
    rollup.refresh(business)
    assert CustomerRollup.objects.get(customer=who).promises_broken == 1


def test_it_recomputes_a_customer_a_receiver_marked_stale(business):
    who = customer(business)
    caught_up(business)
    Incident.objects.create(business=business, customer=who, reason="nps",
                            opened_at=days_ago(400))  # too old for the timestamps to tell
    assert StaleCustomer.objects.filter(customer_id=who.pk).exists()
    rollup.refresh(business)
    assert CustomerRollup.objects.get(customer=who).open_incident is True
    assert not StaleCustomer.objects.exists()


def test_it_drops_the_rollup_of_a_deleted_customer(business):
    who = customer(business)
    engagement(business, who, won=20)
    rollup.refresh(business)
    who.delete()
    rollup.refresh(business)
    assert not CustomerRollup.objects.filter(business=business).exists()


def test_it_scores_a_customer_added_without_signals_100(business):
    customer(business, "Known")
    rollup.refresh(business)
    Customer.objects.bulk_create([Customer(business=business, name="Imported")])
    groups = rollup.score_groups(business, NOW)
    assert rollup.health_summary(business, groups) == {"customers": 2, "average": 100.0,
                                                       "at_risk": 0}


def test_it_builds_every_business_with_the_command(business, other_business):
    customer(business)
    out = io.StringIO()
    call_command("insights_rollup", stdout=out)
    assert RollupState.objects.filter(built_at__isnull=False).count() == 2
    assert f"{business.slug}: 1 customers recomputed" in out.getvalue()


def test_it_refreshes_built_rollups_after_a_busy_worker_pass(business, other_business):
    who = customer(business)
    caught_up(business)
    Promise.objects.create(business=business, customer=who, what="x", due_on=NOW.date(),
                           status="broken")
    pass_finished.send(sender=None, report=PassReport(claimed=1))
    assert CustomerRollup.objects.get(customer=who).promises_broken == 1
    # A business never built gets its first build from the worker too (test_building.py).
    assert RollupState.objects.get(business=other_business).built_at is not None


def test_it_serves_the_page_figures_from_the_rollups(business):
    mixed_business(business)
    health, expected = expected_risk(business)
    data = dashboard.compute(business, period())
    assert data["health"] == m.health_summary(health)
    assert [(r["name"], r["score"], r["reasons"]) for r in data["at_risk"]] == expected
    assert data["repeat"] == m.repeat_purchase(business, period())
    assert RollupState.objects.get(business=business).built_at is not None


def test_it_keeps_the_trend_months_in_the_business_zone(business):
    # NOW is 15 June 2026; America/New_York is UTC-4 then. 1 June 02:00 UTC is still
    # 31 May in New York.
    who = customer(business)
    eng = engagement(business, who, won=30)
    eng.delivered_at = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
    eng.save()
    rollup.refresh(business)
    trend = {t["month"]: t["engagements"] for t in rollup.delta_trend(business, period())}
    assert (trend[dt.date(2026, 5, 1)], trend[dt.date(2026, 6, 1)]) == (1, 0)
