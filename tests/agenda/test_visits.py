"""The year plan of visits to new customers, grouped by area."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from followthrough.agenda import visits
from followthrough.customers.models import Customer, Engagement
from followthrough.touchpoints.models import Status, Touchpoint


@pytest.mark.parametrize(("address", "area"), [
    ("12 Mill Lane\nHebden Bridge\nHX7 8AB", "HX7"),
    ("Flat 2\nLondon SW1A 1AA\nUnited Kingdom", "SW1A"),
    ("1 Main St\nSpringfield, IL 62704\nUSA", "Springfield"),
    ("Hauptstr. 5\n10115 Berlin\nGermany", "Berlin"),
    ("", visits.NO_AREA),
])
def test_it_reads_the_area_from_the_last_line_of_the_address(address, area):
    assert visits.area_of(address) == area


def new_customer(business, name, address, won):
    customer = Customer.objects.create(business=business, name=name, postal_address=address)
    Engagement.objects.create(business=business, customer=customer, kind="Job",
                              won_at=dt.datetime(*won, 15, tzinfo=business.zone))
    return customer


@pytest.fixture
def newcomers(business):
    return [
        new_customer(business, "Ada", "4 Elm St\nHudson, NY 12534", (2026, 2, 10)),
        new_customer(business, "Ben", "9 Oak Rd\nHudson, NY 12534", (2026, 2, 20)),
        new_customer(business, "Cy", "1 Bay Rd\nCatskill, NY 12414", (2026, 2, 3)),
        new_customer(business, "Dee", "", (2025, 12, 5)),
    ]


def test_it_plans_a_visit_the_month_after_the_first_job_grouped_by_area(business, newcomers):
    months = visits.year_plan(business, 2026)
    march = months[2]
    assert {area: [e.customer.name for e in entries] for area, entries in march.areas.items()} \
        == {"Catskill": ["Cy"], "Hudson": ["Ada", "Ben"]}
    assert [e.customer.name for e in months[0].areas[visits.NO_AREA]] == ["Dee"]


def test_it_counts_only_the_first_job_of_a_customer(business, newcomers):
    Engagement.objects.create(business=business, customer=newcomers[0], kind="Job",
                              won_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    months = visits.year_plan(business, 2026)
    assert sum(m.count for m in months) == 4
    assert months[6].count == 0


def test_it_plans_a_visit_in_business_hours(business, newcomers):
    visit = visits.plan_visit(business, newcomers[0], dt.date(2026, 3, 7))  # a Saturday
    assert (visit.channel, visit.stage, visit.status) == ("visit", 2, Status.PLANNED)
    assert visit.due_at.astimezone(business.zone).replace(tzinfo=None) == dt.datetime(
        2026, 3, 9, 10, 0)
    assert "Ada" in visit.rendered_body


def test_it_shows_a_planned_visit_in_the_year_plan(business, newcomers):
    visits.plan_visit(business, newcomers[0], dt.date(2026, 3, 10))
    [ada] = [e for e in visits.year_plan(business, 2026)[2].areas["Hudson"]
             if e.customer.name == "Ada"]
    assert ada.visit is not None


def test_it_refuses_a_second_visit_in_the_same_month(business, newcomers):
    visits.plan_visit(business, newcomers[0], dt.date(2026, 3, 10))
    with pytest.raises(ValidationError) as error:
        visits.plan_visit(business, newcomers[0], dt.date(2026, 3, 20))
    assert "on" in error.value.message_dict
    assert Touchpoint.objects.filter(channel="visit").count() == 1


def test_it_shows_the_year_plan_page(owner_client, newcomers):
    response = owner_client.get("/visits/?year=2026")
    assert response.status_code == 200
    assert "Hudson" in response.text and "Plan a visit" in response.text


def test_it_plans_a_visit_from_the_page(owner_client, newcomers):
    url = f"/visits/{newcomers[2].public_id}/plan/"
    response = owner_client.post(url, {"on": "2026-03-10", "year": "2026"})
    assert response.status_code == 302
    assert response.url == "/visits/?year=2026"
    assert Touchpoint.objects.get(channel="visit").customer == newcomers[2]


def test_it_says_what_is_wrong_with_a_bad_visit_date(owner_client, newcomers):
    url = f"/visits/{newcomers[2].public_id}/plan/"
    response = owner_client.post(url, {"on": "soon"}, follow=True)
    assert "Visit on: choose a date" in response.text
    assert not Touchpoint.objects.exists()


def test_it_never_plans_a_visit_on_get(owner_client, newcomers):
    response = owner_client.get(f"/visits/{newcomers[2].public_id}/plan/")
    assert response.status_code == 405
