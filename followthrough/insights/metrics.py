"""Every figure on the Insights page, as a function over the business's rows.

Each function takes the business (and a Period where the figure depends on time) and
returns plain data; nothing here renders or caches. docs/insights.md defines each figure in
words, and tests/insights/test_metrics.py pins the definitions with exact numbers.

Conventions:
- An element "happened" when a touchpoint for it is sent or done (Status.HAPPENED).
- A "delivered engagement" has a delivered date and no cancelled date.
- A figure with nothing to average over is None (shown as "—"), never 0.
"""

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import BUILTIN_PLAYBOOKS
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import AuditEntry
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.services import REVIEW_ASK_STOPPED

ELEMENTS = v.POST_SERVICE_ELEMENTS
ELEMENT_NAMES = dict(v.ELEMENT_CHOICES)
STAGES = (1, 2, 3, 4)
SMALL_SAMPLE = 30
# Word of mouth: an unhappy customer tells 20 to 30 people, a happy one 7 to 10.
UNHAPPY_TELLS = (20, 30)
HAPPY_TELLS = (7, 10)
NO_CONTACT_MONTHS = 6
NEXT_JOB_DAYS = 60  # a maintenance reminder "became a job" if one is won within this


# ---------------------------------------------------------------------------- periods

PERIODS = {"30": ("Last 30 days", 30), "90": ("Last 90 days", 90),
           "365": ("Last 12 months", 365), "all": ("All time", None)}
DEFAULT_PERIOD = "90"


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: dt.datetime | None  # None: all time
    end: dt.datetime

    def q(self, field_name: str) -> Q:
        """The filter `start <= field <= end` (no lower bound for all time)."""
        q = Q(**{f"{field_name}__lte": self.end})
        if self.start is not None:
            q &= Q(**{f"{field_name}__gte": self.start})
        return q

    def contains(self, when) -> bool:
        return when is not None and when <= self.end and (self.start is None
                                                          or when >= self.start)


def period(key: str | None, now: dt.datetime | None = None) -> Period:
    now = now or timezone.now()
    if key not in PERIODS:
        key = DEFAULT_PERIOD
    label, days = PERIODS[key]
    start = None if days is None else now - dt.timedelta(days=days)
    return Period(key, label, start, now)


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


# --------------------------------------------------------------------- the delta

@dataclass(frozen=True)
class Delta:
    """An engagement's follow-up gaps: of the post-service elements that were due (a
    step for it came due, or it already happened), the ones that did not happen."""

    happened: frozenset
    missing: tuple  # in POST_SERVICE_ELEMENTS order
    due: frozenset = frozenset(ELEMENTS)
    planned: frozenset = frozenset(ELEMENTS)

    @property
    def count(self) -> int:
        return len(self.missing)

    @property
    def due_count(self) -> int:
        return len(self.due)

    @property
    def missing_names(self) -> list[str]:
        return [ELEMENT_NAMES[e] for e in self.missing]

    @property
    def rows(self) -> list[tuple[str, str]]:
        """(element name, state): done, missing, later (planned, not due yet) or
        unplanned (no step for it in this job's plan)."""
        def state(e):
            if e in self.happened:
                return "done"
            if e in self.due:
                return "missing"
            return "later" if e in self.planned else "unplanned"
        return [(ELEMENT_NAMES[e], state(e)) for e in ELEMENTS]


def delivered_engagements(business):
    return Engagement.objects.filter(business=business, delivered_at__isnull=False,
                                     cancelled_at__isnull=True)


def element_times(engagements) -> dict[int, dict[str, tuple]]:
    """Engagement id → element → (when it came or comes due, whether it happened), over
    the touchpoints that were not cancelled. It is due from its earliest step's due time,
    or from when it happened if that was sooner: done early is done, not "not due yet"."""
    found: dict[int, dict[str, tuple]] = {}
    rows = (Touchpoint.objects.filter(engagement__in=engagements, element__in=ELEMENTS)
            .exclude(status=Status.CANCELLED)
            .values_list("engagement_id", "element", "status", "due_at", "completed_at")
            .order_by())
    for engagement_id, element, status, due, completed in rows:
        happened = status in Status.HAPPENED
        at = min(due, completed or due) if happened else due
        before = found.setdefault(engagement_id, {}).get(element)
        if before is not None:
            at, happened = min(at, before[0]), happened or before[1]
        found[engagement_id][element] = (at, happened)
    return found


def delta_of(times: dict[str, tuple], now: dt.datetime) -> Delta:
    """The follow-up gaps as of `now`, from element_times' entry for one engagement."""
    happened = frozenset(e for e, (_, done) in times.items() if done)
    due = frozenset(e for e, (at, done) in times.items() if done or at <= now)
    return Delta(happened, tuple(e for e in ELEMENTS if e in due and e not in happened),
                 due, frozenset(times))


def engagement_deltas(engagements, now: dt.datetime | None = None) -> dict[int, Delta | None]:
    """Engagement id → its delta as of `now`, for many engagements in one query (the Jobs
    list); None for one not delivered yet, or cancelled."""
    counted = [e for e in engagements if e.delivered_at and e.cancelled_at is None]
    found = element_times([e.pk for e in counted]) if counted else {}
    now = now or timezone.now()
    out = {e.pk: None for e in engagements}
    out.update((e.pk, delta_of(found.get(e.pk, {}), now)) for e in counted)
    return out


def engagement_delta(engagement, now: dt.datetime | None = None) -> Delta | None:
    """The delta of one engagement; None until it is delivered (or when it was cancelled)."""
    return engagement_deltas([engagement], now)[engagement.pk]


def customer_deltas(customer, now: dt.datetime | None = None) -> list[tuple]:
    """(engagement, Delta) for each delivered engagement of the customer, newest first."""
    engagements = list(delivered_engagements(customer.business_id)
                       .filter(customer=customer).order_by("-delivered_at"))
    found, now = element_times(engagements), now or timezone.now()
    return [(e, delta_of(found.get(e.pk, {}), now)) for e in engagements]


def gaps_figure(n: int, due: int, happened: int) -> dict:
    """The follow-up gaps of `n` delivered jobs: `due` elements came due, `happened` of
    them happened; the average is the missing ones per job."""
    if not n:
        return {"average": None, "engagements": 0, "due": 0, "missing": 0}
    return {"average": round((due - happened) / n, 2), "engagements": n, "due": due,
            "missing": due - happened}


def practice_delta(business, p: Period) -> dict:
    """The follow-up gaps per job (the essay's practice delta): over the jobs delivered in
    the period, the average number of post-service elements that were due by the period's
    end and did not happen. A step not due yet is not missing."""
    engagements = delivered_engagements(business).filter(p.q("delivered_at"))
    n = engagements.count()
    deltas = [delta_of(t, p.end) for t in element_times(engagements).values()]
    return gaps_figure(n, sum(d.due_count for d in deltas),
                       sum(len(d.happened) for d in deltas))


def _elements_in(steps) -> set[str]:
    return set(steps.filter(element__in=ELEMENTS).values_list("element", flat=True))


def design_delta(business) -> list[str]:
    """The post-service elements that no active playbook contains, in element order."""
    have = _elements_in(Step.objects.filter(playbook__business=business,
                                            playbook__is_active=True))
    return [e for e in ELEMENTS if e not in have]


def playbook_gaps(business) -> list[dict]:
    """Each active playbook with the post-service elements it lacks."""
    have: dict[int, set[str]] = {}
    rows = (Step.objects.filter(playbook__business=business, playbook__is_active=True,
                                element__in=ELEMENTS)
            .values_list("playbook_id", "element").distinct())
    for playbook_id, element in rows:
        have.setdefault(playbook_id, set()).add(element)
    out = []
    for playbook in Playbook.objects.filter(business=business, is_active=True).order_by("name"):
        missing = [e for e in ELEMENTS if e not in have.get(playbook.pk, set())]
        out.append({"playbook": playbook, "missing": missing,
                    "missing_names": [ELEMENT_NAMES[e] for e in missing]})
    return out


def month_starts(business, p: Period, first: dt.datetime | None = None) -> list[dt.date]:
    """The months of the trend, oldest first: the last 12, or from the first delivery for
    all time (at most 36)."""
    zone = business.zone
    end = timezone.localtime(p.end, zone).date().replace(day=1)
    count = 12
    if p.start is None and first is not None:
        start = timezone.localtime(first, zone).date().replace(day=1)
        count = min(36, max(1, (end.year - start.year) * 12 + end.month - start.month + 1))
    months = []
    y, m = end.year, end.month
    for _ in range(count):
        months.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return months[::-1]


def delta_trend(business, p: Period) -> list[dict]:
    """Per month of delivery, in the business's zone: the practice delta (average
    engagement delta) and the design delta as it was applied (post-service elements that
    no plan of that month's engagements contained)."""
    zone = business.zone
    delivered = delivered_engagements(business)
    first = delivered.order_by("delivered_at").values_list("delivered_at", flat=True).first()
    months = month_starts(business, p, first)
    if not months:
        return []
    since = dt.datetime.combine(months[0], dt.time(0), tzinfo=zone)
    engagements = delivered.filter(delivered_at__gte=since, delivered_at__lte=p.end)
    month = TruncMonth("delivered_at", tzinfo=zone)
    counts = {_as_date(r["m"]): r["n"] for r in engagements.annotate(m=month).values("m")
              .annotate(n=Count("id")).order_by()}
    month_of = {pk: _as_date(mo) for pk, mo in
                engagements.annotate(m=month).values_list("pk", "m").order_by()}
    missing: dict[dt.date, int] = {}
    planned: dict[dt.date, set[str]] = {}
    for pk, times in element_times(engagements).items():
        d = delta_of(times, p.end)
        missing[month_of[pk]] = missing.get(month_of[pk], 0) + d.count
        planned.setdefault(month_of[pk], set()).update(times)
    out = []
    for m in months:
        n = counts.get(m, 0)
        out.append({
            "month": m,
            "engagements": n,
            "practice": round(missing.get(m, 0) / n, 2) if n else None,
            "design": len(ELEMENTS) - len(planned.get(m, set())) if n else None,
        })
    return out


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):  # some SQLite builds hand back text
        return dt.date.fromisoformat(value[:10])
    return value


# ------------------------------------------------------------ the one-click fix

def library_step(element: str) -> dict | None:
    """The built-in step for an element: one anchored on delivery first, else the first."""
    candidates = [s for p in BUILTIN_PLAYBOOKS for s in p["steps"] if s["element"] == element]
    for s in candidates:
        if s["anchor"] == v.DELIVERED:
            return s
    return candidates[0] if candidates else None


# -------------------------------------------------------- touch-point coverage

def coverage_map(business) -> list[dict]:
    """Each active playbook with the number of steps it has in stages 1-4."""
    counts: dict[tuple[int, int], int] = {}
    for r in (Step.objects.filter(playbook__business=business, playbook__is_active=True)
              .values("playbook_id", "stage").annotate(n=Count("id")).order_by()):
        counts[(r["playbook_id"], r["stage"])] = r["n"]
    return [
        {"playbook": pb, "stages": [counts.get((pb.pk, s), 0) for s in STAGES]}
        for pb in Playbook.objects.filter(business=business, is_active=True).order_by("name")
    ]


def stage_outcomes(business, p: Period) -> list[dict]:
    """Per stage, the touchpoints due in the period that are finished: completed (sent or
    done), skipped, missed (missed or failed). Cancelled and still-open rows are left out."""
    buckets = {Status.SENT: "completed", Status.DONE: "completed", Status.SKIPPED: "skipped",
               Status.MISSED: "missed", Status.FAILED: "missed"}
    table = {s: {"completed": 0, "skipped": 0, "missed": 0} for s in STAGES}
    rows = (Touchpoint.objects.filter(p.q("due_at"), business=business,
                                      status__in=list(buckets))
            .values("stage", "status").annotate(n=Count("id")).order_by())
    for r in rows:
        table[r["stage"]][buckets[r["status"]]] += r["n"]
    return [stage_row(s, table[s]) for s in STAGES]


def stage_row(stage: int, counts: dict) -> dict:
    """One stage's row of stage_outcomes from its completed, skipped and missed counts."""
    total = counts["completed"] + counts["skipped"] + counts["missed"]
    return {"stage": stage, "name": v.STAGE_NAMES[stage], **counts, "total": total,
            "completed_rate": _rate(counts["completed"], total)}


# ------------------------------------------------------------ optional models

def optional_model(app_label: str, name: str):
    """A model from an app to our left that may not have landed yet; None if absent."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


# ------------------------------------------------------------ business outcomes

def repeat_purchase(business, p: Period) -> dict:
    """Of the customers with a sale or job won in the period, how many have two or more
    (not cancelled) in all."""
    live = Engagement.objects.filter(business=business, cancelled_at__isnull=True)
    another = live.filter(customer_id=OuterRef("customer_id")).exclude(pk=OuterRef("pk"))
    r = live.filter(p.q("won_at")).aggregate(
        customers=Count("customer_id", distinct=True),
        repeat=Count("customer_id", distinct=True, filter=Exists(another)))
    return {"customers": r["customers"], "repeat": r["repeat"],
            "rate": _rate(r["repeat"], r["customers"])}


def time_to_next_purchase(business, p: Period) -> dict:
    """The median number of days between a customer's sale or job and their previous one,
    over the (not cancelled) ones won in the period that had a previous one. "Previous" is
    in (won_at, id) order, so two sales at the same moment are a gap of 0 days."""
    live = Engagement.objects.filter(business=business, cancelled_at__isnull=True)
    before = (live.filter(Q(won_at__lt=OuterRef("won_at"))
                          | Q(won_at=OuterRef("won_at"), id__lt=OuterRef("id")),
                          customer_id=OuterRef("customer_id"))
              .order_by("-won_at", "-id").values("won_at")[:1])
    rows = (live.filter(p.q("won_at")).annotate(previous=Subquery(before))
            .filter(previous__isnull=False).values_list("won_at", "previous").order_by())
    gaps = [(won - prev).total_seconds() / 86400 for won, prev in rows]
    return {"pairs": len(gaps),
            "median_days": round(statistics.median(gaps), 1) if gaps else None}


def referrals(business, p: Period) -> dict:
    """Customers added in the period whom another customer referred, and how many of them
    have bought (a sale or job that was not cancelled)."""
    referred = Customer.objects.filter(p.q("created_at"), business=business,
                                       referred_by__isnull=False)
    made = referred.count()
    bought = Engagement.objects.filter(customer=OuterRef("pk"), cancelled_at__isnull=True)
    converted = referred.filter(Exists(bought)).count()
    return {"made": made, "converted": converted, "rate": _rate(converted, made)}


def maintenance_jobs(business, p: Period) -> dict:
    """Maintenance reminders sent or done in the period, and how many were followed by a
    new sale or job for that customer won within NEXT_JOB_DAYS."""
    reminders = (Touchpoint.objects.filter(business=business, element=v.MAINTENANCE,
                                           status__in=Status.HAPPENED)
                 .annotate(at=Coalesce("completed_at", "due_at")).filter(p.q("at")))
    at = Coalesce(OuterRef("completed_at"), OuterRef("due_at"))
    followed = Engagement.objects.filter(
        customer_id=OuterRef("customer_id"), cancelled_at__isnull=True, won_at__gte=at,
        won_at__lte=at + dt.timedelta(days=NEXT_JOB_DAYS),
    ).exclude(pk=OuterRef("engagement_id"))
    r = reminders.aggregate(reminders=Count("id"), jobs=Count("id", filter=Exists(followed)))
    return {"reminders": r["reminders"], "jobs": r["jobs"], "rate": _rate(r["jobs"],
                                                                        r["reminders"])}


# --------------------------------------------------------- relationship health

@dataclass
class Health:
    customer_id: int
    name: str = ""
    public_id: str = ""
    last_contact: dt.datetime | None = None
    promises_kept: int = 0
    promises_broken: int = 0
    latest_score: int | None = None  # latest NPS-style score, 0-10, when feedback exists
    detractor_unrecovered: bool = False
    open_incident: bool = False
    maintenance_due: dt.datetime | None = None
    maintenance_overdue: bool = False
    no_contact: bool = False
    # Clock-free inputs (see health_inputs); evaluate() turns them into the two flags above.
    last_won: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    maintenance_missed: bool = False
    maintenance_since: dt.datetime | None = None
    reasons: list = field(default_factory=list)
    score: int = 100

    @property
    def promise_keeping(self) -> float | None:
        return _rate(self.promises_kept, self.promises_kept + self.promises_broken)

    @property
    def at_risk(self) -> bool:
        return bool(self.reasons)


# Points taken off 100 for each warning sign; the page and docs/insights.md explain them.
PENALTIES = {
    "detractor": 30,
    "incident": 25,
    "broken_promise": 15,  # per broken promise, at most two counted
    "maintenance": 15,
    "no_contact": 15,
}


def fixed_penalty(h: Health) -> int:
    """The points off that do not move with the clock."""
    return ((PENALTIES["detractor"] if h.detractor_unrecovered else 0)
            + (PENALTIES["incident"] if h.open_incident else 0)
            + PENALTIES["broken_promise"] * min(2, h.promises_broken))


def score_health(h: Health) -> Health:
    reasons, score = [], 100
    if h.detractor_unrecovered:
        score -= PENALTIES["detractor"]
        reasons.append("Unhappy, not yet won back")
    if h.open_incident:
        score -= PENALTIES["incident"]
        reasons.append("Open incident")
    if h.promises_broken:
        score -= PENALTIES["broken_promise"] * min(2, h.promises_broken)
        reasons.append("Broken promise" if h.promises_broken == 1
                       else f"{h.promises_broken} broken promises")
    if h.maintenance_overdue:
        score -= PENALTIES["maintenance"]
        reasons.append("Maintenance overdue")
    if h.no_contact:
        score -= PENALTIES["no_contact"]
        reasons.append(f"No contact in {NO_CONTACT_MONTHS} months")
    h.score, h.reasons = max(0, score), reasons
    return h


def health(business, now=None, customers=None) -> dict[int, Health]:
    """Customer id → Health for every customer of the business (or the given ones).

    A few grouped queries, whatever the number of customers."""
    now = now or timezone.now()
    ids = None if customers is None else [c.pk for c in customers]
    out = health_inputs(business, ids)
    for h in out.values():
        evaluate(h, now)
    return out


def overdue_after(now: dt.datetime) -> dt.datetime:
    """A reminder sent or done at or before this, with no sale since, is overdue."""
    return now - dt.timedelta(days=NEXT_JOB_DAYS)


def no_contact_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=round(NO_CONTACT_MONTHS * 30.44))


def evaluate(h: Health, now: dt.datetime) -> Health:
    """Compare the clock-free inputs with `now`, then score. dashboard.py mirrors this in
    SQL to rank every customer; tests/insights/test_rollup.py keeps the two in step."""
    h.maintenance_overdue = h.maintenance_missed or (
        h.maintenance_since is not None and h.maintenance_since <= overdue_after(now))
    # No contact: the latest sale or job and the latest touch sent or done are both older
    # than N months.
    h.no_contact = h.last_seen is not None and h.last_seen < no_contact_before(now)
    return score_health(h)


def health_inputs(business, customer_ids=None) -> dict[int, Health]:
    """Customer id → Health with only the clock-free inputs filled in (nothing scored)."""
    qs = Customer.objects.filter(business=business)
    if customer_ids is not None:
        qs = qs.filter(pk__in=customer_ids)
    # No order: sorted by name, SQLite reads the business's whole name index to find a
    # page of 50 customers by id (the Customers list asks for exactly that).
    out = {pk: Health(pk, name, pid) for pk, name, pid in
           qs.values_list("pk", "name", "public_id").order_by()}
    if not out:
        return out
    scope = {"customer_id__in": list(out)} if customer_ids is not None else {}
    tps = Touchpoint.objects.filter(business=business, **scope)
    for customer_id, last in (tps.filter(status__in=Status.HAPPENED)
                              .values("customer_id").annotate(
                                  last=Max(Coalesce("completed_at", "due_at")))
                              .values_list("customer_id", "last").order_by()):
        out[customer_id].last_contact = last
    # Maintenance: the next open reminder; overdue when one went unanswered (missed or
    # failed), or was sent more than NEXT_JOB_DAYS ago with no sale or job since.
    for customer_id, due in (tps.filter(element=v.MAINTENANCE,
                                        status__in=[Status.PLANNED, Status.DRAFT])
                             .values("customer_id").annotate(due=Max("due_at"))
                             .values_list("customer_id", "due").order_by()):
        out[customer_id].maintenance_due = due
    last_won = dict(Engagement.objects.filter(business=business, cancelled_at__isnull=True,
                                              **scope)
                    .values("customer_id").annotate(w=Max("won_at"))
                    .values_list("customer_id", "w").order_by())
    for customer_id, status, at in (
        tps.filter(element=v.MAINTENANCE,
                   status__in=[Status.MISSED, Status.FAILED, *Status.HAPPENED])
        .annotate(at=Coalesce("completed_at", "due_at"))
        .values_list("customer_id", "status", "at").order_by()
    ):
        won = last_won.get(customer_id)
        if won is not None and won >= at:
            continue  # answered: a sale or job came after it
        h = out[customer_id]
        if status in (Status.MISSED, Status.FAILED):
            h.maintenance_missed = True
        elif h.maintenance_since is None or at < h.maintenance_since:
            h.maintenance_since = at
    for customer_id, h in out.items():
        h.last_won = last_won.get(customer_id)
        h.last_seen = max(filter(None, [h.last_contact, h.last_won]), default=None)
    _promises(business, out, scope)
    feedback_health(business, out, scope)
    return out


def _promises(business, out, scope) -> None:
    Promise = optional_model("agenda", "Promise")
    if Promise is None:
        return
    for r in (Promise.objects.filter(business=business, **scope)
              .values("customer_id").annotate(
                  kept=Count("id", filter=Q(status="kept")),
                  broken=Count("id", filter=Q(status="broken")))
              .order_by()):
        h = out[r["customer_id"]]
        h.promises_kept, h.promises_broken = r["kept"], r["broken"]


def at_risk(health_by_customer: dict[int, Health], limit: int | None = None) -> list[Health]:
    """The customers who need attention: lowest score first, then name."""
    rows = sorted((h for h in health_by_customer.values() if h.at_risk),
                  key=lambda h: (h.score, h.name.lower(), h.customer_id))
    return rows if limit is None else rows[:limit]


def health_summary(health_by_customer: dict[int, Health]) -> dict:
    scores = [h.score for h in health_by_customer.values()]
    return {"customers": len(scores),
            "average": round(sum(scores) / len(scores), 1) if scores else None,
            "at_risk": sum(1 for h in health_by_customer.values() if h.at_risk)}


# ------------------------------------------------------------------ feedback

def feedback_metrics(business, p: Period, requests: tuple | None = None) -> dict | None:
    """NPS, CSAT, response rate, time to resolve incidents and the word-of-mouth estimate,
    over survey responses received in the period. None when the feedback app is absent.
    `requests`, (asked, answered), replaces the count of feedback requests (the page
    passes the rollups' count; (None, None) while they are being built)."""
    Response = optional_model("feedback", "SurveyResponse")
    Incident = optional_model("feedback", "Incident")
    if Response is None or Incident is None:
        return None
    responses = Response.objects.filter(p.q("created_at"), business=business)
    counts = responses.aggregate(
        responses=Count("id"),
        nps_n=Count("id", filter=Q(nps__isnull=False)),
        promoters=Count("id", filter=Q(nps__gte=9)),
        detractors=Count("id", filter=Q(nps__lte=6)),
        csat_n=Count("id", filter=Q(csat__isnull=False)),
        satisfied=Count("id", filter=Q(csat__gte=4)),
    )
    n = counts["nps_n"]
    passives = n - counts["promoters"] - counts["detractors"]
    nps = round(100 * (counts["promoters"] - counts["detractors"]) / n) if n else None
    asked, answered = requests or feedback_requests(business, p, Response)
    resolved = list(Incident.objects.filter(p.q("resolved_at"), business=business)
                    .values_list("opened_at", "resolved_at"))
    hours = [(done - opened).total_seconds() / 3600 for opened, done in resolved]
    return {
        "responses": counts["responses"],
        "small_sample": counts["responses"] < SMALL_SAMPLE,
        "nps": nps, "nps_answers": n, "promoters": counts["promoters"],
        "passives": passives, "detractors": counts["detractors"],
        "csat": _rate(counts["satisfied"], counts["csat_n"]), "csat_answers": counts["csat_n"],
        "satisfied": counts["satisfied"],
        "requests": asked, "answered": answered, "response_rate": _rate(answered, asked),
        "resolved_incidents": len(hours),
        "median_hours_to_resolve": round(statistics.median(hours), 1) if hours else None,
        "open_incidents": Incident.objects.filter(business=business,
                                                  resolved_at__isnull=True).count(),
        "word_of_mouth": word_of_mouth(counts["promoters"], passives, counts["detractors"]),
    }


def feedback_requests(business, p: Period, Response) -> tuple[int, int]:
    """Feedback requests sent or done in the period, and how many were answered."""
    requests = (Touchpoint.objects.filter(business=business, element=v.FEEDBACK,
                                          status__in=Status.HAPPENED)
                .annotate(at=Coalesce("completed_at", "due_at")).filter(p.q("at")))
    answered = (Response.objects.filter(business=business, touchpoint__in=requests)
                .values("touchpoint_id").distinct().count())
    return requests.count(), answered


def word_of_mouth(promoters: int, passives: int, detractors: int) -> dict:
    """An estimate, not a measurement: each unhappy customer tells 20 to 30 people, each
    happy one 7 to 10, and one in between tells nobody."""
    return {
        "unhappy_low": detractors * UNHAPPY_TELLS[0], "unhappy_high": detractors * UNHAPPY_TELLS[1],
        "happy_low": promoters * HAPPY_TELLS[0], "happy_high": promoters * HAPPY_TELLS[1],
        "promoters": promoters, "passives": passives, "detractors": detractors,
    }


def review_clicks(business, p: Period) -> dict | None:
    Click = optional_model("feedback", "ReviewClick")
    if Click is None:
        return None
    by_site = dict(Click.objects.filter(p.q("at"), business=business).values("site")
                   .annotate(n=Count("id")).values_list("site", "n").order_by())
    return {"clicks": sum(by_site.values()), "by_site": dict(sorted(by_site.items()))}


STOPPED_SHOWN = 50


def review_asks_stopped(business, p: Period) -> dict:
    """Review asks cancelled or skipped in the period after a low score (a latest recommend
    score of 0-6 or an open incident), with the reason each person gave, newest first.

    Counted from the audit log that touchpoints.services.stop_review_ask writes, so a later
    change to the customer's score doesn't rewrite history. The reason is the touchpoint's
    outcome note: an erasure clears it, and the count stays."""
    entries = AuditEntry.objects.filter(
        p.q("at"), business=business, action=REVIEW_ASK_STOPPED,
        changes__after_low_score=True).order_by("-at", "-id")
    shown = list(entries[:STOPPED_SHOWN])
    touches = Touchpoint.objects.filter(
        business=business, public_id__in=[e.target_id for e in shown]
    ).select_related("customer")
    by_id = {t.public_id: t for t in touches}
    rows = []
    for entry in shown:
        touch = by_id.get(entry.target_id)
        rows.append({
            "at": entry.at, "by": entry.actor_label, "summary": entry.summary,
            "customer": touch.customer.name if touch else "",
            "customer_id": touch.customer.public_id if touch else "",
            "reason": touch.outcome_note if touch else "",
        })
    return {"count": entries.count() if len(shown) == STOPPED_SHOWN else len(shown),
            "rows": rows}


def feedback_health(business, out, scope) -> None:
    """Latest score, open incident and unhappy-not-won-back, per customer."""
    Response = optional_model("feedback", "SurveyResponse")
    Incident = optional_model("feedback", "Incident")
    if Response is None or Incident is None:
        return
    latest: dict[int, tuple] = {}
    for customer_id, nps, at in (Response.objects.filter(business=business, **scope)
                                 .filter(nps__isnull=False)
                                 .order_by("created_at", "id")
                                 .values_list("customer_id", "nps", "created_at")):
        latest[customer_id] = (nps, at)
    recovered: dict[int, dt.datetime] = {}
    for customer_id, resolved_at in (
        Incident.objects.filter(business=business, **scope)
        .values_list("customer_id", "resolved_at")
    ):
        if resolved_at is None:
            out[customer_id].open_incident = True
        else:
            recovered[customer_id] = max(resolved_at, recovered.get(customer_id, resolved_at))
    for customer_id, (nps, at) in latest.items():
        h = out[customer_id]
        h.latest_score = nps
        won_back = recovered.get(customer_id)
        h.detractor_unrecovered = nps <= 6 and (won_back is None or won_back < at)
