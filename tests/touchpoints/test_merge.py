import datetime as dt

import pytest
from django.core import signing

from followthrough import vocabulary as v
from followthrough.channels.rendering import MERGE_FIELDS
from followthrough.customers.consent import read_unsubscribe_token, unsubscribe_token
from followthrough.customers.models import Customer
from followthrough.touchpoints.merge import build_context, merge_context


@pytest.fixture
def touchpoint(make_touchpoint, business):
    business.website = "https://riverside.example"
    business.phone = "+1 518 555 0142"
    business.save()
    return make_touchpoint(name="Jamie Rivera")


def test_it_fills_every_merge_field_with_a_string(touchpoint):
    context = merge_context(touchpoint)
    assert context.keys() == MERGE_FIELDS.keys()
    assert all(isinstance(value, str) for value in context.values())


def test_it_names_the_customer_business_and_engagement(touchpoint):
    context = merge_context(touchpoint)
    assert (context["customer_first_name"], context["customer_name"]) == ("Jamie", "Jamie Rivera")
    assert (context["business_name"], context["sender_name"]) == (
        "Riverside Plumbing", "Sam at Riverside"
    )
    assert (context["engagement_kind"], context["engagement_description"]) == (
        "Job", "a new water heater"
    )
    assert context["business_phone"] == "+1 518 555 0142"


def test_it_points_customer_links_at_the_touchpoints_own_token(touchpoint):
    context = merge_context(touchpoint)
    token = touchpoint.link_token
    assert context["review_link"] == f"http://testserver/r/{token}"
    assert context["feedback_link"] == f"http://testserver/s/{token}"
    assert context["social_link"] == f"http://testserver/social/{token}"
    assert context["subscribe_link"] == f"http://testserver/n/{token}"


def test_it_gives_relationship_mail_a_signed_unsubscribe_link(touchpoint):
    link = merge_context(touchpoint)["unsubscribe_link"]
    assert link.startswith("http://testserver/u/")
    token = link.removeprefix("http://testserver/u/")
    assert read_unsubscribe_token(token) == (touchpoint.customer.public_id, v.RELATIONSHIP)


def test_it_gives_transactional_mail_no_unsubscribe_link(make_touchpoint):
    touchpoint = make_touchpoint(purpose=v.TRANSACTIONAL)
    assert merge_context(touchpoint)["unsubscribe_link"] == ""


def test_it_refuses_a_tampered_unsubscribe_token(touchpoint):
    token = unsubscribe_token(touchpoint.customer, v.RELATIONSHIP)
    forged = token.replace(v.RELATIONSHIP, v.MARKETING)
    with pytest.raises(signing.BadSignature):
        read_unsubscribe_token(forged)


def test_it_builds_a_preview_context_without_an_engagement(business):
    customer = Customer(business=business, name="Pat Lee")
    context = build_context(business, customer, None, v.MARKETING)
    assert (context["customer_first_name"], context["engagement_description"]) == ("Pat", "")
    assert context["unsubscribe_link"].startswith("http://testserver/u/")


def test_it_does_not_carry_model_instances(touchpoint):
    context = merge_context(touchpoint)
    assert {type(value) for value in context.values()} == {str}
    assert not any(isinstance(value, dt.datetime) for value in context.values())
