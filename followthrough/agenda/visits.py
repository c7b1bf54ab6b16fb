"""Visits to new customers (stage 2): a year plan, month by month, grouped by area so one
trip covers neighbours. A customer is new in the month their first job was won; their visit
belongs to the month after. Planning a visit writes a step-less touchpoint (channel visit)
that lands on Today and in the calendar feed like any personal touch."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.planner import next_allowed, to_utc
from followthrough.tenants.models import Business
from followthrough.touchpoints import lifecycle
from followthrough.touchpoints.models import Origin, Reason, Status, Touchpoint
from followthrough.touchpoints.planning import cap_busy, customer_calendar

NAME = "Get-to-know-you visit"
VISIT_TIME = dt.time(10, 0)
NO_AREA = "No address"
KEY_PREFIX = "visit:"
SHOWN = (Status.PLANNED, Status.DONE)
COUNTRIES = {"uk", "united kingdom", "england", "scotland", "wales", "northern ireland",
             "usa", "us", "united states", "united states of america", "ireland", "canada",
             "australia", "new zealand", "germany", "deutschland", "france", "netherlands"}
UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*\d[A-Z]{2}\b", re.IGNORECASE)
STATE_CODE = re.compile(r"^[A-Z]{2}$")
TALKING_POINTS = (
    "Drop in to get to know {name} a little better.\n"
    "- How is what we did holding up?\n"
    "- What is changing for them this year?\n"
    "- What else could we help with?"
)


def area_of(address: str) -> str:
    """The town or postcode area of a postal address; see docs/agenda.md for the rules."""
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    while len(lines) > 1 and lines[-1].lower().strip(" .") in COUNTRIES:
        lines.pop()
    if not lines:
        return NO_AREA
    last = lines[-1]
    postcode = UK_POSTCODE.search(last)
    if postcode:
        return postcode.group(1).upper()
    words = [w.strip(",.") for w in last.replace(",", " ").split()]
    town = [w for w in words if w and not any(c.isdigit() for c in w)
            and not STATE_CODE.match(w)]
    return " ".join(town) or NO_AREA


@dataclass
class Entry:
    customer: Customer
    area: str
    since: dt.date
    visit: Touchpoint | None = None


@dataclass
class Month:
    first_day: dt.date
    areas: dict[str, list[Entry]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(entries) for entries in self.areas.values())


def visit_month(since: dt.date) -> dt.date:
    """The first day of the month after `since`."""
    return (since.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def year_plan(business: Business, year: int) -> list[Month]:
    """Twelve months; in each, the customers to visit grouped by area, areas by name."""
    zone = business.zone
    start = dt.datetime(year - 1, 12, 1, tzinfo=zone)
    end = dt.datetime(year, 12, 1, tzinfo=zone)
    firsts = (Engagement.objects.filter(business=business).values("customer_id")
              .annotate(first=Min("won_at")).filter(first__gte=start, first__lt=end))
    since = {row["customer_id"]: row["first"].astimezone(zone).date() for row in firsts}
    customers = Customer.objects.filter(business=business, pk__in=since).order_by("name")
    visits = _visits(business, since)
    months = {m: Month(dt.date(year, m, 1)) for m in range(1, 13)}
    for customer in customers:
        day = since[customer.pk]
        month = months[visit_month(day).month]
        area = area_of(customer.postal_address)
        entry = Entry(customer, area, day, visits.get(customer.pk))
        month.areas.setdefault(area, []).append(entry)
    for month in months.values():
        month.areas = dict(sorted(month.areas.items(),
                                  key=lambda item: (item[0] == NO_AREA, item[0].lower())))
    return list(months.values())


def _visits(business: Business, customer_ids) -> dict[int, Touchpoint]:
    found = {}
    rows = Touchpoint.objects.filter(business=business, channel=kinds.VISIT,
                                     customer_id__in=customer_ids, status__in=SHOWN)
    for row in rows.order_by("due_at"):
        found.setdefault(row.customer_id, row)
    return found


def plan_visit(business: Business, customer: Customer, day: dt.date) -> Touchpoint:
    """A visit on `day` at 10:00 local, moved into business hours and the contact budget."""
    engagement = customer.engagements.order_by("-won_at", "-id").first()
    if engagement is None:
        raise ValidationError({"on": f"{customer.name} has no job yet, so no visit to plan."})
    key = f"{KEY_PREFIX}{customer.public_id}:{day:%Y-%m}"
    calendar = customer_calendar(business, customer)
    wanted, _ = to_utc(dt.datetime.combine(day, VISIT_TIME), business.zone)
    with transaction.atomic():
        if Touchpoint.objects.filter(idempotency_key=key).exists():
            raise ValidationError({"on": f"A visit to {customer.name} is already planned "
                                         f"for {day:%B}."})
        busy = list(cap_busy(business, customer.pk).values_list("due_at", flat=True))
        due = next_allowed(wanted, kinds.VISIT, calendar, busy)
        moved = due != wanted
        return lifecycle.create(
            origin=Origin.VISIT, business=business, engagement=engagement, customer=customer,
            idempotency_key=key, name=NAME, channel=kinds.VISIT, stage=2, element=v.OTHER,
            purpose=v.RELATIONSHIP, due_at=due, local_date=day, local_time=VISIT_TIME,
            moved_reason="moved to a free day" if moved else "",
            reason_code=Reason.NEXT_FREE_TIME if moved else Reason.NONE,
            rendered_body=TALKING_POINTS.format(name=customer.first_name or customer.name),
        )
