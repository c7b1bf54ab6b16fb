"""Golden plans: what the built-in playbooks plan for five everyday shapes of job, read as a
person would (one line per touch: day, local time, channel, name, and why if not planned).

The expected plans are in tests/playbooks/golden/*.txt and in docs/agenda.md. After a
deliberate change, regenerate them with `UPDATE_GOLDEN=1 pytest tests/playbooks/
test_golden_plans.py`, read the diff, and copy the new plans into docs/agenda.md.
"""

import datetime as dt
import os
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement

GOLDEN = Path(__file__).parent / "golden"
NEW_YORK = ZoneInfo("America/New_York")
# A Monday morning, before the day's first touch.
NOW = dt.datetime(2026, 6, 1, 7, 30, tzinfo=NEW_YORK)
DAY = dt.timedelta(days=1)


@pytest.fixture
def books(business):
    service, product = install_builtin_playbooks(business)
    return {"service": service, "product": product}


@pytest.fixture
def customer(business):
    return Customer.objects.create(business=business, name="Ada Lovelace",
                                   email="ada@example.com", phone="+15555550100")


def job(customer, playbook, won, started=None, delivered=None, now=NOW) -> Engagement:
    engagement = Engagement.objects.create(
        business=customer.business, customer=customer, playbook=playbook, won_at=won,
        started_at=started, delivered_at=delivered,
    )
    plan_engagement(engagement, now=now)
    return engagement


def render(engagement: Engagement, since: dt.datetime | None = None) -> list[str]:
    origin = engagement.won_at.astimezone(NEW_YORK).date()
    rows = engagement.touchpoints.order_by("due_at", "id")
    if since is not None:
        rows = rows.filter(due_at__gte=since)
    return [line(t, origin) for t in rows]


def line(touch: Touchpoint, origin: dt.date) -> str:
    local = touch.due_at.astimezone(NEW_YORK)
    text = f"day{(local.date() - origin).days:+d} {local:%H:%M} {touch.channel} {touch.name}"
    if touch.status == Status.PLANNED:
        return text + (f" [moved: {touch.moved_reason}]" if touch.moved_reason else "")
    return text + f" [{touch.status}" + (f": {touch.moved_reason}]" if touch.moved_reason
                                         else "]")


def tally(engagement: Engagement) -> str:
    counts = Counter(engagement.touchpoints.values_list("status", flat=True))
    return "total: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


def check(name: str, lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name}: the plan changed; see the module docstring"


def test_it_plans_a_same_day_job(books, customer):
    won = NOW + dt.timedelta(minutes=30)
    engagement = job(customer, books["service"], won, won, won + dt.timedelta(hours=6))
    check("same_day_job", ["# Service job: won, started and delivered on Monday",
                           *render(engagement), tally(engagement)])


def test_it_plans_a_week_long_job(books, customer):
    won = NOW + dt.timedelta(minutes=30)
    engagement = job(customer, books["service"], won, won + DAY, won + 7 * DAY)
    check("week_long_job", ["# Service job: won Monday, started Tuesday, delivered a week on",
                            *render(engagement), tally(engagement)])


def test_it_plans_a_back_dated_job_honestly(books, customer):
    won = NOW - 14 * DAY
    engagement = job(customer, books["service"], won, won + DAY, won + 2 * DAY)
    check("back_dated_job", ["# Service job entered today, all its events two weeks ago",
                             *render(engagement), tally(engagement)])


def test_it_plans_a_web_order_never_marked_delivered(books, customer):
    engagement = job(customer, books["product"], NOW + dt.timedelta(minutes=30))
    check("web_order_not_delivered", ["# Product order placed Monday, never marked delivered",
                                      *render(engagement), tally(engagement)])


def test_it_plans_a_repeat_customer_within_a_month(books, customer):
    first_won = NOW - 24 * DAY
    first = job(customer, books["service"], first_won, first_won + DAY, first_won + 3 * DAY,
                now=first_won)
    # Everything the first job asked for up to today went out as planned.
    Touchpoint.objects.filter(engagement=first, status=Status.PLANNED,
                              due_at__lt=NOW).update(status=Status.SENT)
    won = NOW + dt.timedelta(minutes=30)
    second = job(customer, books["service"], won, won + DAY, won + 3 * DAY)
    check("repeat_customer", [
        "# Service job for a customer whose last job was won 24 days ago",
        "## the new job", *render(second), tally(second),
        "## the first job, from today on", *render(first, since=NOW),
    ])


def test_it_documents_the_same_golden_plans_in_the_agenda_guide():
    guide = (Path(__file__).parents[2] / "docs" / "agenda.md").read_text()
    for path in sorted(GOLDEN.glob("*.txt")):
        assert f"```\n{path.read_text()}```" in guide, f"docs/agenda.md lacks {path.name}"
