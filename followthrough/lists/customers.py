"""The Customers list: each customer's last job, health, tags and open incident, with
filters (unhappy, at risk, a tag, no contact in 6 months), sorting and keyset paging
(docs/lists.md).

Health filters and the health sort read the insights rollups (one row per customer,
brought up to date first), because a score needs each customer's contacts, promises,
feedback and maintenance: read live for every customer, that is a walk over the whole
touchpoint table. The score shown on each row is metrics.health for the page's 50."""

import datetime as dt

from django import forms
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, Replace

from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident
from followthrough.insights import metrics, rollup
from followthrough.insights.models import CustomerRollup

# A customer with no job sorts after every real date when the newest come first.
NO_JOB = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
HEALTHY = 100  # the score of a customer without a rollup row: nothing against them

SHOW = {
    "unhappy": "Unhappy",
    "at_risk": "At risk",
    "no_contact": f"No contact in {metrics.NO_CONTACT_MONTHS} months",
}

# URL word → (column heading, the annotation it orders by, descending by default)
SORTS = {
    "name": ("Customer", "name", False),
    "last_job": ("Last job", "sort_last_job", True),
    "health": ("Health", "sort_health", False),
    "incident": ("Open incident", "sort_incident", True),
}
DEFAULT_SORT = "name"
NEEDS_ROLLUP = {"health"}


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name, email or phone",
                        widget=forms.TextInput(attrs={"type": "search"}))
    show = forms.ChoiceField(required=False, label="Show",
                             choices=[("", "Everyone"), *SHOW.items()])
    tag = forms.CharField(required=False, max_length=60, label="Tag")
    sort = forms.ChoiceField(required=False, label="Sort by",
                             choices=[(k, v[0]) for k, v in SORTS.items()])
    dir = forms.ChoiceField(required=False, label="Order", choices=[
        ("", "The usual way"), ("asc", "A to Z, oldest or lowest first"),
        ("desc", "Z to A, newest or highest first")])


def tag_key(text: str) -> str:
    """Tags compare without case or spaces: "New build" finds "new build" and "newbuild"."""
    return text.lower().replace(" ", "")


def with_tag(rows, tag: str):
    padded = Concat(Value(","), Replace(Lower("tags"), Value(" "), Value("")), Value(","))
    return rows.alias(tag_list_key=padded).filter(
        tag_list_key__contains=f",{tag_key(tag)},")


def health_ready(business) -> bool:
    """Bring the rollups up to date; False while a large business's first build is still
    running in the worker (docs/insights.md), when the health filters cannot answer yet."""
    building = rollup.progress(business)
    if building is not None and building["total"] > rollup.CHUNK:
        return False
    rollup.refresh(business)
    return True


def customers(business, now: dt.datetime, with_health: bool):
    last_job = (Engagement.objects.filter(customer=OuterRef("pk"), cancelled_at__isnull=True)
                .order_by("-won_at").values("won_at")[:1])
    open_incident = Incident.objects.filter(customer=OuterRef("pk"), resolved_at__isnull=True)
    rows = Customer.objects.filter(business=business).annotate(
        sort_last_job=Coalesce(Subquery(last_job), Value(NO_JOB)),
        sort_incident=Case(When(Exists(open_incident), then=Value(1)), default=Value(0),
                           output_field=IntegerField()),
    )
    if with_health:
        score = (CustomerRollup.objects.filter(customer=OuterRef("pk"))
                 .annotate(score=rollup.score_expression(now)).values("score")[:1])
        rows = rows.annotate(sort_health=Coalesce(Subquery(score), Value(HEALTHY)))
    return rows


def filtered(business, data: dict, now: dt.datetime, with_health: bool):
    rows = customers(business, now, with_health)
    query = data.get("q", "")
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(email__icontains=query)
                           | Q(phone__icontains=query))
    if data.get("tag"):
        rows = with_tag(rows, data["tag"])
    show = data.get("show")
    if show in SHOW and with_health:
        signs = rollup.warning_signs(now)[show]
        rows = rows.filter(Exists(CustomerRollup.objects.filter(signs, customer=OuterRef("pk"))))
    return rows


def attach_jobs_and_health(business, rows: list, now: dt.datetime) -> None:
    """Each row's newest job (not cancelled) and its health, in a few grouped queries."""
    latest = {}
    for job in (Engagement.objects.filter(customer__in=rows, cancelled_at__isnull=True)
                .order_by("customer_id", "-won_at", "-id")):
        latest.setdefault(job.customer_id, job)
    health = metrics.health(business, now, customers=rows) if rows else {}
    for row in rows:
        row.last_job = latest.get(row.pk)
        row.health = health.get(row.pk)
