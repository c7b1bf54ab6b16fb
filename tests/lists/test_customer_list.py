"""The Customers list: last job, health, tags and open incident; its filters, sorting,
keyset paging, isolation and escaping."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident
from followthrough.insights import metrics
from followthrough.lists import customers as customer_lists
from tests.lists.conftest import make_bulk, names, queries_for_5_then_60

URL = reverse("customer_list")
# The layout's, the page's ids and its rows, the rows' newest jobs, and
# metrics.health's grouped queries for the page.
QUERY_CEILING = 15



def person(business, name, won_days=None, **fields):
    customer = Customer.objects.create(business=business, name=name, **fields)
    if won_days is not None:
        Engagement.objects.create(business=business, customer=customer, kind="Job",
                                  description=f"Job for {name}",
                                  won_at=timezone.now() - dt.timedelta(days=won_days))
    return customer


def unhappy(business, name):
    customer = person(business, name, won_days=5)
    Incident.objects.create(business=business, customer=customer, reason=Incident.COMPLAINT)
    return customer


def test_it_lives_at_customers():
    assert URL == "/customers/"


def test_it_shows_the_last_job_with_a_link(owner_client, business):
    customer = person(business, "Alex Moreno", won_days=3)
    job = customer.engagements.get()
    text = owner_client.get(URL).text
    assert f'href="{reverse("engagement_detail", args=[job.public_id])}">Job for Alex' in text


def test_it_says_when_there_is_no_job_yet(owner_client, business):
    person(business, "Alex Moreno")
    assert "None yet" in owner_client.get(URL).text


def test_it_shows_tags_as_links_that_filter(owner_client, business):
    person(business, "Alex Moreno", tags="VIP, New build")
    text = owner_client.get(URL).text
    assert re.search(r'href="\?tag=New%20build">New build</a>', text)


def test_it_marks_an_open_incident(owner_client, business):
    unhappy(business, "Cross")
    person(business, "Calm", won_days=5)
    text = owner_client.get(URL).text
    assert text.count('class="badge badge-failed"') == 1


def test_it_shows_the_health_score_metrics_gives(owner_client, business):
    customer = unhappy(business, "Cross")
    score = metrics.health(business, customers=[customer])[customer.pk].score
    assert f'badge-missed">{score}</span> <span class="small">Open incident' in (
        owner_client.get(URL).text)


@pytest.mark.parametrize("query", ["alex", "ALEX@example", "5550199"])
def test_it_searches_by_name_email_or_phone(owner_client, business, query):
    person(business, "Alex Moreno", email="alex@example.com", phone="+15185550199")
    person(business, "Someone Else", email="else@example.com")
    assert names(owner_client.get(URL, {"q": query})) == ["Alex Moreno"]


def test_it_filters_unhappy_customers(owner_client, business):
    unhappy(business, "Cross")
    person(business, "Calm", won_days=5)
    assert names(owner_client.get(URL, {"show": "unhappy"})) == ["Cross"]


def test_it_filters_customers_at_risk(owner_client, business):
    person(business, "Quiet", won_days=400)
    person(business, "Recent", won_days=5)
    unhappy(business, "Cross")
    assert names(owner_client.get(URL, {"show": "at_risk"})) == ["Cross", "Quiet"]


def test_it_filters_customers_without_contact_in_six_months(owner_client, business):
    person(business, "Quiet", won_days=200)
    person(business, "Recent", won_days=150)
    unhappy(business, "Cross")
    assert names(owner_client.get(URL, {"show": "no_contact"})) == ["Quiet"]


def test_it_sees_a_new_incident_at_once(owner_client, business):
    """The rollups are brought up to date before a health filter reads them."""
    customer = person(business, "Calm", won_days=5)
    assert names(owner_client.get(URL, {"show": "unhappy"})) == []
    Incident.objects.create(business=business, customer=customer, reason=Incident.COMPLAINT)
    assert names(owner_client.get(URL, {"show": "unhappy"})) == ["Calm"]


@pytest.mark.parametrize("tag", ["new build", "NEW BUILD", "newbuild", "vip"])
def test_it_filters_by_a_whole_tag_whatever_its_case(owner_client, business, tag):
    person(business, "Tagged", tags="VIP, New build")
    person(business, "Other", tags="builder")
    assert names(owner_client.get(URL, {"tag": tag})) == ["Tagged"]


def test_it_does_not_match_part_of_a_tag(owner_client, business):
    person(business, "Tagged", tags="New build")
    assert names(owner_client.get(URL, {"tag": "build"})) == []


@pytest.mark.parametrize(("sort", "direction", "expected"), [
    ("name", "", ["Ann", "Bo", "Cy"]),
    ("name", "desc", ["Cy", "Bo", "Ann"]),
    ("last_job", "", ["Bo", "Ann", "Cy"]),
    ("last_job", "asc", ["Cy", "Ann", "Bo"]),
    ("incident", "", ["Ann", "Cy", "Bo"]),  # ties: newest added first, as the id says
    ("health", "", ["Ann", "Cy", "Bo"]),
])
def test_it_sorts_by_a_column(owner_client, business, sort, direction, expected):
    unhappy(business, "Ann")  # won 5 days ago, open incident: 75
    person(business, "Bo", won_days=1)  # healthy: 100
    person(business, "Cy", won_days=300)  # no contact in 6 months: 85
    response = owner_client.get(URL, {"sort": sort, "dir": direction})
    assert names(response) == expected


def test_it_keeps_filters_across_pages(owner_client, business):
    make_bulk(business, 60)
    Customer.objects.filter(business=business).update(tags="vip")
    first = owner_client.get(URL, {"tag": "vip"}).text
    assert re.search(r'href="\?[^"]*tag=vip[^"]*after=[^"]*">Next', first)


def test_it_shows_an_outsider_none_of_our_customers(outsider_client, business):
    person(business, "Alex Moreno")
    response = outsider_client.get(URL)
    assert response.status_code == 200
    assert "Alex Moreno" not in response.text


def test_it_starts_over_on_a_cursor_from_another_business(owner_client, business,
                                                          other_business):
    make_bulk(business, 3)
    theirs = Customer.objects.create(business=other_business, name="Theirs")
    assert len(names(owner_client.get(URL, {"after": theirs.public_id}))) == 3


def test_it_escapes_a_hostile_name_and_tag(owner_client, business):
    person(business, '<script>alert(1)</script>"\'&', tags='<b>x</b>"')
    text = owner_client.get(URL).text
    assert "<script>alert(1)</script>" not in text and "<b>x</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in text


def test_it_offers_the_first_job_when_there_are_no_customers(owner_client, business):
    text = owner_client.get(URL).text
    assert "No customers yet." in text
    assert f'href="{reverse("sale_new")}">Record your first job' in text


def test_it_offers_to_clear_filters_when_none_match(owner_client, business):
    person(business, "Alex Moreno")
    text = owner_client.get(URL, {"q": "nobody"}).text
    assert "No customers match “nobody”." in text
    assert f'href="{URL}">Clear filters' in text


def test_it_lists_everyone_while_a_large_first_build_runs(owner_client, business,
                                                         monkeypatch):
    monkeypatch.setattr(customer_lists.rollup, "CHUNK", 1)
    unhappy(business, "Cross")
    person(business, "Calm")
    response = owner_client.get(URL, {"show": "unhappy"})
    assert "still being added up" in response.text
    assert names(response) == ["Calm", "Cross"]


def test_it_reads_a_page_in_the_same_queries_for_5_or_60(owner_client, business):
    few, many = queries_for_5_then_60(owner_client, URL, business)
    assert many == few <= QUERY_CEILING


def test_it_orders_health_as_metrics_scores_it(business):
    """rollup.score_expression (the list's order) and metrics.health (the score shown)
    agree for customers with one, two or three warning signs."""
    from followthrough.agenda.models import Promise
    from followthrough.insights import rollup

    cross = unhappy(business, "Cross")
    quiet = person(business, "Quiet", won_days=300)
    both = unhappy(business, "Both")
    for who in (both, quiet):
        for _ in range(2):
            Promise.objects.create(business=business, customer=who, what="Call back",
                                   due_on=timezone.now().date(), status=Promise.BROKEN)
    person(business, "Fine", won_days=2)
    now = timezone.now()
    rollup.refresh(business)
    listed = dict(customer_lists.customers(business, now, with_health=True)
                  .values_list("pk", "sort_health"))
    scored = {pk: h.score for pk, h in metrics.health(business, now).items()}
    assert listed == scored
    assert len(set(scored.values())) == 4 and scored[cross.pk] < 100
