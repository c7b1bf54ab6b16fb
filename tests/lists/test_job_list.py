"""The Jobs page: sections, filters, sorting, keyset paging, isolation and escaping."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough.customers.models import Engagement
from followthrough.insights import metrics
from followthrough.lists import jobs
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.touchpoints.models import Touchpoint
from tests.lists.conftest import make_bulk, mark_happened, names, queries_for_5_then_60

URL = reverse("customers:job_list")
# The layout's, the playbooks (the filter menu), the page's ids and its rows. Bulk-made
# jobs have no touches and none is delivered; otherwise the next touches and the delta
# add one query each, whatever the number of rows.
QUERY_CEILING = 7



def test_it_lives_at_jobs():
    assert URL == "/jobs/"


def test_it_sends_a_signed_out_visitor_to_sign_in(client):
    assert client.get(URL).status_code == 302


def test_it_shows_customer_playbook_stage_and_won_date(owner_client, make_job):
    make_job("Alex Moreno", started_days=-2)
    text = owner_client.get(URL).text
    assert "Alex Moreno" in text and "Service job" in text and "Delivery" in text


def test_it_links_each_row_to_the_job_page(owner_client, make_job):
    job = make_job("Alex Moreno")
    assert reverse("engagement_detail", args=[job.public_id]) in owner_client.get(URL).text


def test_it_shows_the_next_planned_touch_and_its_day(owner_client, make_job):
    job = make_job("Alex Moreno", won_days=-1)
    touch = job.touchpoints.filter(status="planned").order_by("due_at", "id").first()
    row = owner_client.get(URL).text
    assert touch.name in row


def test_it_says_nothing_is_planned_when_nothing_is(owner_client, make_job):
    make_job("Alex Moreno", playbook=None)
    assert "Nothing planned" in owner_client.get(URL).text


def test_it_shows_the_gaps_of_a_delivered_job(owner_client, make_job):
    job = make_job("Alex Moreno", won_days=-40, started_days=-35, delivered_days=-30)
    mark_happened(job, ["check_in", "feedback", "thank_you"])
    assert re.search(r"2 of \d due missed", owner_client.get(URL).text)


def test_it_shows_no_gaps_before_delivery(owner_client, make_job):
    make_job("Alex Moreno")
    assert " due " not in owner_client.get(URL).text


@pytest.mark.parametrize(("status", "shown"), [
    ("in_progress", "Started"), ("waiting", "Waiting"), ("delivered", "Recent"),
    ("closed", "Closed"),
])
def test_it_filters_by_status(owner_client, make_job, status, shown):
    make_job("Waiting")
    make_job("Started", started_days=-1)
    make_job("Recent", won_days=-20, started_days=-15, delivered_days=-5)
    make_job("Old", won_days=-90, started_days=-80, delivered_days=-60)
    make_job("Closed", won_days=-90, delivered_days=-80, closed_days=-70)
    assert names(owner_client.get(URL, {"status": status})) == [shown]


def test_it_counts_cancelled_jobs_as_closed(owner_client, make_job):
    make_job("Called off", cancelled_days=-1)
    assert names(owner_client.get(URL, {"status": "closed"})) == ["Called off"]


def test_it_marks_the_chosen_section(owner_client, make_job):
    make_job("Started", started_days=-1)
    text = owner_client.get(URL, {"status": "in_progress"}).text
    assert re.search(r'aria-current="page">In progress</a>', text)


def test_it_filters_by_playbook(owner_client, make_job, playbooks):
    make_job("Service", playbook="service-job")
    make_job("Project", playbook=next(s for s in playbooks if s != "service-job"))
    response = owner_client.get(URL, {"playbook": playbooks["service-job"].public_id})
    assert names(response) == ["Service"]


def test_it_filters_jobs_without_a_playbook(owner_client, make_job):
    make_job("Planned")
    make_job("Unplanned", playbook=None)
    assert names(owner_client.get(URL, {"playbook": "none"})) == ["Unplanned"]


def test_it_filters_by_won_date_range(owner_client, make_job):
    make_job("Old", won_days=-100)
    make_job("Middle", won_days=-50)
    make_job("New", won_days=-1)
    job = Engagement.objects.get(customer__name="Middle")
    day = job.won_at.astimezone(job.business.zone).date().isoformat()
    assert names(owner_client.get(URL, {"won_from": day, "won_to": day})) == ["Middle"]


def test_it_names_the_field_of_a_bad_date(owner_client, make_job):
    make_job("Alex Moreno")
    response = owner_client.get(URL, {"won_from": "next tuesday"})
    assert response.status_code == 200
    assert "Won from: Enter a valid date." in response.text
    assert names(response) == ["Alex Moreno"]  # the bad filter is left out, not fatal


def test_it_refuses_an_end_before_the_start(owner_client, make_job):
    make_job("Alex Moreno")
    response = owner_client.get(URL, {"won_from": "2026-05-02", "won_to": "2026-05-01"})
    assert "The end date cannot be before the start date." in response.text


@pytest.mark.parametrize(("sort", "direction", "expected"), [
    ("customer", "asc", ["Ann", "Bo", "Cy"]),
    ("customer", "desc", ["Cy", "Bo", "Ann"]),
    ("date", "", ["Cy", "Bo", "Ann"]),
    ("date", "asc", ["Ann", "Bo", "Cy"]),
    ("stage", "asc", ["Bo", "Cy", "Ann"]),
    ("playbook", "asc", ["Bo", "Ann", "Cy"]),
])
def test_it_sorts_by_a_column(owner_client, make_job, playbooks, sort, direction, expected):
    other = next(s for s in sorted(playbooks) if s != "service-job")
    make_job("Ann", won_days=-30, started_days=-29, delivered_days=-28, playbook="service-job")
    make_job("Bo", won_days=-20, playbook=None)
    make_job("Cy", won_days=-10, started_days=-9, playbook=other)
    if sort == "playbook":  # "Service job" against the other playbook's name
        expected = sorted(["Ann", "Cy"], key=lambda n: {
            "Ann": "Service job", "Cy": playbooks[other].name}[n])
        expected = ["Bo", *expected]
    response = owner_client.get(URL, {"sort": sort, "dir": direction})
    assert names(response) == expected


def test_it_sorts_by_what_is_next_with_nothing_planned_last(owner_client, make_job):
    make_job("Nothing", playbook=None)
    make_job("Soon", won_days=-1)
    make_job("Later", won_days=30)
    assert names(owner_client.get(URL, {"sort": "next"})) == ["Soon", "Later", "Nothing"]


def test_it_sorts_by_gaps_as_the_rows_show_them(owner_client, make_job):
    """The SQL order of the Gaps column and metrics.engagement_deltas stay in step."""
    none = make_job("None missing", won_days=-40, delivered_days=-30)
    mark_happened(none, ["check_in", "feedback", "thank_you", "social_invite",
                         "subscribe_invite"])
    some = make_job("Some missing", won_days=-40, delivered_days=-30)
    mark_happened(some, ["check_in", "feedback"])
    make_job("Not delivered")
    response = owner_client.get(URL, {"sort": "delta", "dir": "desc"})
    assert names(response) == ["Some missing", "None missing", "Not delivered"]
    shown = re.findall(r"(\d) of \d due missed|due done", response.text)
    assert shown[:1] == ["3"]


def test_it_goes_back_to_the_same_first_page(owner_client, business):
    make_bulk(business, 60)
    first = owner_client.get(URL)
    after = re.search(r'href="\?([^"]*)">Next', first.text).group(1).replace("&amp;", "&")
    second = owner_client.get(URL + "?" + after)
    before = re.search(r'href="\?([^"]*)">← Previous', second.text).group(1)
    back = owner_client.get(URL + "?" + before.replace("&amp;", "&"))
    assert names(back) == names(first)
    assert "← Previous" not in back.text


def test_it_puts_no_integer_id_in_a_paging_link(owner_client, business):
    make_bulk(business, 60)
    link = re.search(r'href="\?([^"]*)">Next', owner_client.get(URL).text).group(1)
    job = Engagement.objects.order_by("-won_at", "-id")[49]
    assert f"after={job.public_id}" in link


def test_it_starts_over_on_a_cursor_from_another_business(owner_client, business,
                                                          other_business):
    make_bulk(business, 3)
    theirs = make_bulk(other_business, 1)[0]
    response = owner_client.get(URL, {"after": theirs.public_id})
    assert len(names(response)) == 3


def test_it_shows_an_outsider_none_of_our_jobs(outsider_client, make_job):
    make_job("Alex Moreno")
    response = outsider_client.get(URL)
    assert response.status_code == 200
    assert "Alex Moreno" not in response.text


def test_it_escapes_a_hostile_customer_name(owner_client, make_job):
    make_job('<script>alert(1)</script>"\'&')
    text = owner_client.get(URL).text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in text


def test_it_offers_the_first_job_when_there_are_none(owner_client, business):
    text = owner_client.get(URL).text
    assert "No jobs yet." in text
    assert f'href="{reverse("sale_new")}">Record your first job' in text


def test_it_offers_to_clear_filters_when_none_match(owner_client, make_job):
    make_job("Alex Moreno")
    text = owner_client.get(URL, {"status": "closed"}).text
    assert "No jobs match these filters." in text
    assert f'href="{URL}">Clear filters' in text


def test_it_reads_a_page_in_the_same_queries_for_5_or_60_jobs(owner_client, business):
    few, many = queries_for_5_then_60(owner_client, URL, business)
    assert many == few <= QUERY_CEILING


def test_it_sorts_by_gaps_that_were_due_as_metrics_counts_them(business, make_job):
    """jobs.gaps_for_sorting and metrics.engagement_deltas agree job by job: a step not
    due yet, one cancelled, one done early and one skipped."""
    make_job("Delivered yesterday", won_days=-3, delivered_days=-1)
    old = make_job("Delivered long ago", won_days=-90, delivered_days=-80)
    Touchpoint.objects.filter(engagement=old, element="feedback").update(status="cancelled")
    Touchpoint.objects.filter(engagement=old, element="thank_you").update(status="skipped")
    mark_happened(old, ["check_in"])
    early = make_job("Done early", won_days=-3, delivered_days=-1)
    mark_happened(early, ["social_invite"])
    make_job("Not delivered")
    now = timezone.now()
    rows = list(jobs.jobs(business, now))
    shown = metrics.engagement_deltas(rows, now)
    assert {r.pk: r.sort_delta for r in rows} == {
        pk: -1 if d is None else d.count for pk, d in shown.items()}
    assert len({r.sort_delta for r in rows}) >= 3  # the cases differ, so the check bites


def test_it_refuses_another_business_s_playbook(owner_client, make_job, other_business):
    make_job("Ours")
    theirs = install_builtin_playbooks(other_business)[0]
    response = owner_client.get(URL, {"playbook": theirs.public_id})
    assert "Playbook: Select a valid choice." in response.text
    assert names(response) == ["Ours"]
