"""Getting started on Today: seven items, each ticked from the business's own data, shown to
owners until every one is done or they hide it, for one query while it shows."""

import re

from django.utils import timezone

from followthrough.agenda.models import Preference
from followthrough.customers.models import Engagement
from followthrough.feedback.models import FeedbackSettings
from followthrough.integrations.models import ImportJob
from followthrough.tenants.models import Invitation, Membership
from tests.conftest import make_member

KEYS = ["sender", "reviews", "brand", "customers", "job", "calendar", "team"]


def _ticks(client) -> dict[str, bool]:
    text = client.get("/today/").text
    found = {key: done for done, key in re.findall(r'<li class="(is-done)?" id="checklist-(\w+)"',
                                                   text)}
    return {key: found.get(key) == "is-done" for key in KEYS} if found else {}


def _finish_everything(business, owner, customer):
    business.logo_url = "https://riverside.example/logo.png"
    business.save()
    FeedbackSettings.objects.create(business=business,
                                    google_review_url="https://g.page/r/riverside/review")
    ImportJob.objects.create(business=business, filename="customers.csv", data=b"",
                             status=ImportJob.DONE)
    Engagement.objects.create(business=business, customer=customer, kind="Job",
                              won_at=timezone.now())
    Preference.objects.create(business=business, user=owner,
                              feed_fetched_at="2026-01-01T10:00:00Z")
    Invitation.objects.create(business=business, email="pat@riverside.example")


def test_it_greets_a_new_business_with_the_checklist(owner_client):
    text = owner_client.get("/today/").text
    assert "Getting started: 1 of 7 done" in text
    assert "You're all caught up" not in text


def test_it_ticks_only_what_is_done(owner_client):
    # The business fixture has a sender name, email and postal address, nothing else.
    assert _ticks(owner_client) == {key: key == "sender" for key in KEYS}


def test_it_needs_the_postal_address_for_the_sender(owner_client, business):
    business.postal_address = ""
    business.save()
    assert _ticks(owner_client)["sender"] is False


def test_it_ticks_the_review_links_once_one_is_saved(owner_client, business):
    FeedbackSettings.objects.create(business=business, facebook_url="https://fb.example/r")
    assert _ticks(owner_client)["reviews"] is False
    FeedbackSettings.objects.filter(business=business).update(
        yelp_review_url="https://yelp.example/riverside")
    assert _ticks(owner_client)["reviews"] is True


def test_it_ticks_the_brand_for_a_logo_or_a_colour_of_its_own(owner_client, business):
    business.brand_colour = "#225522"
    business.save()
    assert _ticks(owner_client)["brand"] is True


def test_it_ticks_the_import_only_once_one_has_finished(owner_client, business):
    job = ImportJob.objects.create(business=business, filename="c.csv", data=b"",
                                   status=ImportJob.RUNNING)
    assert _ticks(owner_client)["customers"] is False
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.DONE)
    assert _ticks(owner_client)["customers"] is True


def test_it_ticks_the_first_job(owner_client, business, customer):
    Engagement.objects.create(business=business, customer=customer, kind="Job",
                              won_at=timezone.now())
    assert _ticks(owner_client)["job"] is True


def test_it_ticks_the_calendar_once_a_calendar_app_fetched_the_link(owner_client, client):
    owner_client.post("/settings/calendar/", {"action": "renew"})
    assert _ticks(owner_client)["calendar"] is False
    token = Preference.objects.get().feed_token
    assert client.get(f"/cal/{token}.ics").status_code == 200
    assert _ticks(owner_client)["calendar"] is True


def test_it_ticks_the_team_for_an_invitation_or_a_second_member(owner_client, business):
    invitation = Invitation.objects.create(business=business, email="pat@riverside.example")
    assert _ticks(owner_client)["team"] is True
    invitation.delete()
    assert _ticks(owner_client)["team"] is False
    make_member(business, "pat@riverside.example", Membership.STAFF)
    assert _ticks(owner_client)["team"] is True


def test_it_links_each_item_to_the_place_that_does_it(owner_client):
    text = owner_client.get("/today/").text
    for path in ("/settings/", "/settings/reviews/", "/integrations/import/",
                 "/customers/sales/new/", "/settings/calendar/", "/settings/members/"):
        assert f'href="{path}"' in text, path


def test_it_hides_itself_once_everything_is_done(owner_client, business, owner, customer):
    _finish_everything(business, owner, customer)
    assert 'id="checklist"' not in owner_client.get("/today/").text


def test_it_stays_hidden_when_the_owner_hides_it(owner_client, business, owner):
    response = owner_client.post("/today/checklist/hide/", follow=True)
    assert 'id="checklist"' not in response.text
    assert Preference.objects.get(business=business, user=owner).checklist_dismissed_at
    assert 'id="checklist"' not in owner_client.get("/today/").text


def test_it_never_hides_on_a_get(owner_client):
    assert owner_client.get("/today/checklist/hide/").status_code == 405
    assert 'id="checklist"' in owner_client.get("/today/").text


def test_it_keeps_a_hidden_list_to_that_business(owner, business, other_business, client):
    Membership.objects.create(business=other_business, user=owner, role=Membership.OWNER)
    client.force_login(owner)
    client.post("/switch/", {"business": business.slug})
    client.post("/today/checklist/hide/")
    response = client.post("/switch/", {"business": other_business.slug}, follow=True)
    assert "now working in Bright Bakery" in response.text
    assert 'id="checklist"' in response.text


def test_it_is_for_owners_only(client, staff, owner):
    client.force_login(staff)
    assert 'id="checklist"' not in client.get("/today/").text


def test_it_costs_one_query_while_shown_and_none_once_hidden(owner_client, business, owner,
                                                             customer,
                                                             django_assert_num_queries):
    from tests.agenda.test_today_size import _queries

    owner_client.get("/today/")
    shown = _queries(owner_client)
    _finish_everything(business, owner, customer)
    owner_client.get("/today/")  # finds everything done, and remembers
    assert _queries(owner_client) == shown - 1
