"""The Jobs page: every sale and job of the business, by status, with what is next and
its follow-up gaps (docs/lists.md).

One query for the page of rows (the next touch is a subquery per row, read through the
touchpoint table's engagement index), one for the next touches' details, one for the
delta (insights.metrics.engagement_deltas), one for the section counts."""

import datetime as dt

from django import forms
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from followthrough.customers.models import Engagement
from followthrough.insights import metrics
from followthrough.playbooks.models import Playbook
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.vocabulary import STAGE_NAMES

RECENT_DAYS = 30
# "Nothing planned" sorts after every real date, so the sort value is never NULL (a NULL
# has no place in a keyset comparison).
NOTHING_PLANNED = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
NEXT_STATUSES = (Status.PLANNED, Status.DRAFT)
OPEN = Q(closed_at__isnull=True, cancelled_at__isnull=True)


def status_filters(now: dt.datetime) -> dict[str, tuple[str, Q]]:
    return {
        "in_progress": ("In progress",
                        OPEN & Q(started_at__isnull=False, delivered_at__isnull=True)),
        "waiting": ("Waiting to start",
                    OPEN & Q(started_at__isnull=True, delivered_at__isnull=True)),
        "delivered": (f"Delivered, last {RECENT_DAYS} days",
                      OPEN & Q(delivered_at__gte=now - dt.timedelta(days=RECENT_DAYS))),
        "closed": ("Closed",  # cancelled ones too: both are finished
                   Q(closed_at__isnull=False) | Q(cancelled_at__isnull=False)),
    }


# URL word → (column heading, the annotation it orders by, descending by default)
SORTS = {
    "customer": ("Customer", "sort_customer", False),
    "playbook": ("Playbook", "sort_playbook", False),
    "stage": ("Stage", "sort_stage", False),
    "next": ("What's next", "sort_next", False),
    "delta": ("Gaps", "sort_delta", True),
    "date": ("Won", "won_at", True),
}
DEFAULT_SORT = "date"
DIRECTIONS = [("", "The usual way"), ("asc", "A to Z, soonest or fewest first"),
              ("desc", "Z to A, latest or most first")]


class JobFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label="Show")
    playbook = forms.ChoiceField(required=False, label="Playbook")
    won_from = forms.DateField(required=False, label="Won from",
                               widget=forms.DateInput(attrs={"type": "date"}))
    won_to = forms.DateField(required=False, label="Won until",
                             widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(required=False, label="Sort by",
                             choices=[(k, v[0]) for k, v in SORTS.items()])
    dir = forms.ChoiceField(required=False, label="Order", choices=DIRECTIONS)

    def __init__(self, business, statuses, data):
        super().__init__(data)
        self.fields["status"].choices = [("", "All jobs")] + [
            (key, label) for key, (label, _) in statuses.items()]
        self.playbooks = {p.public_id: p for p in
                          Playbook.objects.filter(business=business).order_by("name", "id")}
        self.fields["playbook"].choices = [("", "Any playbook"), ("none", "No playbook")] + [
            (pid, p.name) for pid, p in self.playbooks.items()]

    def clean(self):
        data = super().clean()
        start, end = data.get("won_from"), data.get("won_to")
        if start and end and end < start:
            self.add_error("won_to", "The end date cannot be before the start date.")
        return data


def next_touch():
    return (Touchpoint.objects.filter(engagement=OuterRef("pk"), status__in=NEXT_STATUSES)
            .order_by("due_at", "id"))


def gaps_for_sorting(now: dt.datetime):
    """The order of the Gaps column in SQL, the twin of metrics.delta_of: for a delivered
    job (not cancelled), how many post-service elements in its plan came due by `now`
    and did not happen (sent or done); -1 before delivery. The figure shown on each row
    comes from metrics.engagement_deltas; tests/lists/test_job_list.py keeps the two in
    step."""
    happened = Touchpoint.objects.filter(engagement=OuterRef("engagement"),
                                         element=OuterRef("element"),
                                         status__in=Status.HAPPENED)
    missing = (Touchpoint.objects.filter(engagement=OuterRef("pk"),
                                         element__in=metrics.ELEMENTS, due_at__lte=now)
               .exclude(status=Status.CANCELLED).exclude(Exists(happened))
               .order_by().values("engagement")
               .annotate(n=Count("element", distinct=True)).values("n"))
    counted = Q(delivered_at__isnull=False, cancelled_at__isnull=True)
    return Case(When(counted, then=Coalesce(Subquery(missing, output_field=IntegerField()),
                                            0)),
                default=Value(-1), output_field=IntegerField())


def jobs(business, now: dt.datetime):
    """Every engagement of the business with the annotations the page sorts and shows."""
    stage = Case(When(delivered_at__isnull=False, then=Value(4)),
                 When(started_at__isnull=False, then=Value(3)),
                 default=Value(1), output_field=IntegerField())
    return (Engagement.objects.filter(business=business)
            .select_related("customer", "playbook")
            .annotate(sort_customer=Coalesce("customer__name", Value("")),
                      sort_playbook=Coalesce("playbook__name", Value("")),
                      sort_stage=stage,
                      next_touch_id=Subquery(next_touch().values("id")[:1]),
                      sort_next=Coalesce(Subquery(next_touch().values("due_at")[:1]),
                                         Value(NOTHING_PLANNED)),
                      sort_delta=gaps_for_sorting(now)))


def local_day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered(business, form: JobFilterForm, statuses: dict, now: dt.datetime):
    rows = jobs(business, now)
    data = form.cleaned_data if form.is_bound else {}
    status = data.get("status")
    if status in statuses:
        rows = rows.filter(statuses[status][1])
    playbook = data.get("playbook")
    if playbook == "none":
        rows = rows.filter(playbook__isnull=True)
    elif playbook in form.playbooks:
        rows = rows.filter(playbook=form.playbooks[playbook])
    if data.get("won_from"):
        rows = rows.filter(won_at__gte=local_day_start(data["won_from"]))
    if data.get("won_to"):
        rows = rows.filter(won_at__lt=local_day_start(data["won_to"] + dt.timedelta(days=1)))
    return rows


def attach_next_and_delta(rows: list, now: dt.datetime) -> None:
    wanted = [r.next_touch_id for r in rows if r.next_touch_id]
    touches = Touchpoint.objects.only("name", "channel", "due_at").in_bulk(wanted)
    deltas = metrics.engagement_deltas(rows, now)
    for row in rows:
        row.next_touch = touches.get(row.next_touch_id)
        row.delta = deltas[row.pk]
        row.stage_name = STAGE_NAMES[row.sort_stage]
