"""The Insights page's figures for one business and period, computed once and cached.

What is cached and why (docs/insights.md says the same for owners):

1. Rollups (rollup.py, tables of our own): per customer, the health inputs; per
   engagement, which of the five elements happened or were planned. They replace the walk
   over every touchpoint that health and the monthly delta would otherwise need on each
   cold view. They hold no clock-dependent answer, so they never go stale with time; they
   are kept in step with the rows (changed touchpoints by updated_at, other rows by their
   own timestamps and by receivers) before every computation, after every busy worker pass,
   and by `followthrough insights_rollup`.
2. The finished figures, per business and period (Django's cache, 10 minutes at most),
   under a key that changes whenever the data does: the newest `updated_at` of the
   business's touchpoints (one index lookup) and a per-business version number bumped by the
   receivers. A warm view is then one lookup; the 10-minute limit only bounds figures that
   move with the clock alone (an engagement sliding out of "last 30 days").

Everything else (coverage, stage outcomes, feedback, outcomes) is read live by indexed
aggregate queries (migrations 0001 and 0003)."""

import datetime as dt

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from followthrough.insights import metrics as m
from followthrough.insights import rollup
from followthrough.touchpoints.models import Touchpoint

TTL = 600
AT_RISK_SHOWN = 25
# A business this small (one rollup chunk) has its first build done by its first page
# view, at once; a larger one waits for the worker (rollup.build_pending) and the page
# shows what is ready, with the build's progress.
INLINE_BUILD = rollup.CHUNK


def version_key(business_id: int) -> str:
    return f"insights:version:{business_id}"


def bump(business_id: int) -> None:
    key = version_key(business_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def cache_key(business, p: m.Period, full: bool = False) -> str:
    marker = (Touchpoint.objects.filter(business=business)
              .aggregate(m=Max("updated_at"))["m"])
    stamp = marker.timestamp() if marker else 0
    version = cache.get(version_key(business.pk), 0)
    kind = "full" if full else "page"
    return f"insights:{kind}:{business.pk}:{p.key}:{version}:{stamp}"


def figures(business, p: m.Period, use_cache: bool = True, full: bool = False) -> dict:
    """The page's figures. The page keeps only the AT_RISK_SHOWN lowest health scores, so
    the cached entry stays small however many customers there are; `full` keeps them all
    (the at-risk CSV) in an entry of its own."""
    building = rollup.progress(business)
    if building is not None and building["total"] > INLINE_BUILD:
        return ready_now(business, p, building)  # never cached: it changes every pass
    key = cache_key(business, p, full) if use_cache else None
    if key:
        found = cache.get(key)
        if found is not None:
            return found
    data = compute(business, p, full)
    if key:
        cache.set(key, data, TTL)
    return data


def ready_now(business, p: m.Period, building: dict) -> dict:
    """While the worker builds a large business's rollups: every figure that does not
    need them, and how far the build is. The rollup figures are left empty."""
    return {**live_figures(business, p, (None, None), m.stage_outcomes(business, p)),
            "building": building,
            "practice": {"average": None, "engagements": 0}, "trend": [],
            "health": {"customers": building["total"], "average": None, "at_risk": 0},
            "at_risk": [], "repeat": None, "next_purchase": None, "maintenance": None}


def compute(business, p: m.Period, full: bool = False) -> dict:
    rollup.refresh(business)
    groups = rollup.score_groups(business, p.end)
    risky = rollup.at_risk(business, p.end, groups, None if full else AT_RISK_SHOWN)
    return {
        **live_figures(business, p, rollup.feedback_requests(business, p),
                       rollup.stage_outcomes(business, p)),
        "building": None,
        "practice": rollup.practice_delta(business, p),
        "trend": rollup.delta_trend(business, p),
        "health": rollup.health_summary(business, groups),
        "at_risk": [_risk_row(h) for h in risky],
        "repeat": rollup.repeat_purchase(business, p),
        "next_purchase": rollup.time_to_next_purchase(business, p),
        "maintenance": rollup.maintenance_jobs(business, p),
    }


def live_figures(business, p: m.Period, requests: tuple, stages: list) -> dict:
    """The figures read live from indexed queries, which need no rollup (but for the
    count of feedback requests, `requests`, and the per-stage outcomes, `stages`)."""
    design = m.design_delta(business)
    coverage = m.coverage_map(business)
    return {
        "computed_at": p.end,
        "design": design,
        "design_names": [m.ELEMENT_NAMES[e] for e in design],
        "gaps": [{"playbook_id": g["playbook"].public_id, "name": g["playbook"].name,
                  "missing": g["missing"], "missing_names": g["missing_names"]}
                 for g in m.playbook_gaps(business)],
        "coverage": [{"playbook_id": c["playbook"].public_id, "name": c["playbook"].name,
                      "stages": c["stages"]} for c in coverage],
        "outcomes_by_stage": stages,
        "feedback": m.feedback_metrics(business, p, requests),
        "referrals": m.referrals(business, p),
        "clicks": m.review_clicks(business, p),
        "review_asks_stopped": m.review_asks_stopped(business, p),
    }


def _risk_row(h: m.Health) -> dict:
    return {
        "public_id": h.public_id, "name": h.name, "score": h.score, "reasons": h.reasons,
        "last_contact": h.last_contact, "promise_keeping": h.promise_keeping,
        "promises_broken": h.promises_broken, "latest_score": h.latest_score,
        "open_incident": h.open_incident, "maintenance_due": h.maintenance_due,
        "maintenance_overdue": h.maintenance_overdue,
    }


def month_label(month: dt.date) -> str:
    return month.strftime("%b") if month.month != 1 else month.strftime("%b %y")


def local(value):
    return timezone.localtime(value) if value else None
