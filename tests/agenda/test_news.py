"""Industry news to share: step-less relationship emails the worker sends as written."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from followthrough.agenda import news
from followthrough.customers.consent import record_consent
from followthrough.customers.models import Customer, Engagement
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Touchpoint
from tests.smtp import running_sink

NOON = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)  # noon in New York
LINK = "https://example.com/new-boiler-rules"
NOTE = "New rules on boiler servicing start in May; this sums them up well."


def with_job(customer):
    Engagement.objects.create(business=customer.business, customer=customer, kind="Job",
                              won_at=NOON - dt.timedelta(days=30))
    return customer


@pytest.fixture
def landlords(business):
    return [with_job(Customer.objects.create(business=business, name=name, email=email,
                                             tags="landlord, vip"))
            for name, email in (("Ada Park", "ada@example.com"), ("Ben Ode", "ben@example.com"))]


def test_it_writes_one_step_less_relationship_email_per_customer(business, landlords):
    shared = news.share_news(business, landlords, LINK, NOTE, now=NOON)
    rows = Touchpoint.objects.filter(idempotency_key__startswith="news:")
    assert len(shared.sent) == rows.count() == 2
    row = rows.get(customer=landlords[0])
    assert (row.step, row.channel, row.purpose, row.stage) == (None, "email", "relationship", 2)
    assert row.rendered_subject == news.DEFAULT_SUBJECT
    assert row.rendered_body.startswith("Hi Ada,\n\n" + NOTE)
    assert LINK in row.rendered_body


def test_it_sends_the_owners_words_through_the_worker(settings, business, landlords):
    news.share_news(business, landlords[:1], LINK, NOTE, subject="Worth a read", now=NOON)
    with running_sink(settings) as sink:
        worker.run_once(now=NOON)
    [message] = sink.messages
    assert message["Subject"] == "Worth a read"
    assert NOTE in message.get_payload()[0].get_payload(decode=True).decode()
    assert message["List-Unsubscribe"]


def test_it_waits_for_the_end_of_quiet_hours(business, landlords):
    late = dt.datetime(2026, 6, 11, 2, 0, tzinfo=dt.UTC)  # 22:00 in New York
    [row] = news.share_news(business, landlords[:1], LINK, NOTE, now=late).sent
    assert row.due_at.astimezone(business.zone).time() == dt.time(8, 0)


def test_it_keeps_to_the_frequency_cap(business, landlords):
    news.share_news(business, landlords[:1], LINK, NOTE, now=NOON)
    [second] = news.share_news(business, landlords[:1], LINK, "Another one.", now=NOON).sent
    assert second.due_at - NOON == dt.timedelta(days=business.frequency_cap_days)


def test_it_skips_customers_who_cannot_get_it_and_says_why(business, landlords):
    record_consent(landlords[1], "email", "relationship", False, "customer")
    no_email = with_job(Customer.objects.create(business=business, name="Cy", tags="landlord"))
    shared = news.share_news(business, [*landlords, no_email], LINK, NOTE, now=NOON)
    assert [t.customer for t in shared.sent] == [landlords[0]]
    assert {(c.name, why) for c, why in shared.skipped} == {
        ("Ben Ode", "asked not to get emails"), ("Cy", "no email address")}


def test_it_needs_a_note(business, landlords):
    with pytest.raises(ValidationError) as error:
        news.share_news(business, landlords, LINK, "  ", now=NOON)
    assert "note" in error.value.message_dict
    assert not Touchpoint.objects.exists()


def test_it_finds_customers_by_whole_tag_only(business, landlords):
    Customer.objects.create(business=business, name="Dee", tags="landlords-association")
    assert {c.name for c in news.customers_tagged(business, "Landlord")} == {"Ada Park",
                                                                           "Ben Ode"}


def test_it_shares_with_a_tag_from_the_page(owner_client, landlords):
    response = owner_client.post("/news/", {"tag": "landlord", "link": LINK, "note": NOTE})
    assert response.status_code == 302
    assert Touchpoint.objects.filter(idempotency_key__startswith="news:").count() == 2


def test_it_shares_with_one_customer_from_their_link(owner_client, landlords):
    url = f"/news/for/{landlords[0].public_id}/"
    assert owner_client.get(url).status_code == 200
    owner_client.post(url, {"link": LINK, "note": NOTE})
    assert Touchpoint.objects.get(idempotency_key__startswith="news:").customer == landlords[0]


def test_it_names_the_field_of_a_bad_link(owner_client, landlords):
    url = f"/news/for/{landlords[0].public_id}/"
    response = owner_client.post(url, {"link": "not a link", "note": NOTE})
    assert response.status_code == 200
    assert "Link: Enter a valid URL." in response.text
    assert not Touchpoint.objects.exists()
