"""Tenant isolation for every page, generated from the URL configuration.

Each route that takes an object id is requested by an outsider (a member of another
business) for an object of `business`: it must be a 404, never the page and never a 403.
A new route with an id fails here until it has a factory below, so nothing slips through."""

import datetime as dt
import re

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from followthrough.channels.models import OutboxMessage
from followthrough.channels.outbox import BUSINESS_HEADER, OutboxEmailBackend
from followthrough.customers.models import Customer
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import SurveyResponse
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.tenants.models import Invitation, Membership
from followthrough.touchpoints import services

ID_PARAMS = {"public_id", "token"}
# The API has its own tenancy tests (tests/api/test_tenancy.py) with API keys, not sessions.
SKIP_PREFIXES = ("api/",)
# integrations: called by providers (Twilio, email providers), not people; each checks the
# provider's signature, tested in tests/integrations/.
SKIP_PREFIXES += ("integrations/anymail/", "integrations/sms/inbound", "integrations/sms/status")
PUBLIC_ROUTES = {"login", "logout", "login_verify", "password_reset", "password_reset_done",
                 "password_reset_complete",
                 # monitoring: no sign-in, no tenant data (tests/touchpoints/test_health.py)
                 "healthz"}
# Pages a customer opens from a message: no sign-in, the 128-bit link token is the key.
# Each has its own test that a forged token gets 404.
CUSTOMER_FACING_ROUTES = {"unsubscribe", "inbound_receive",
                          "invitation_accept", "password_reset_confirm",
                          "calendar_feed",
                          # feedback: forged tokens are tested in tests/feedback/
                          "survey", "review", "review_site", "social", "subscribe",
                          "subscribe_confirm"}


def walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def routes():
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        params = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        yield route, pattern.name, params


ID_ROUTES = sorted((name, route, params) for route, name, params in routes()
                   if params & ID_PARAMS and name not in CUSTOMER_FACING_ROUTES)
PLAIN_ROUTES = sorted((name, route) for route, name, params in routes()
                      if not params and name not in PUBLIC_ROUTES)


def object_kind(name: str) -> str:
    overrides = {"step_new": "playbook", **{f"print_{what}": "batch" for what in
                                            ("page", "cards", "labels", "postcards")}}
    return overrides.get(name, name.split("_")[0])


@pytest.fixture
def objects(business):
    """One object of each kind in `business`, made on demand; returns its URL id."""
    playbook = install_builtin_playbooks(business)[0]
    customer = Customer.objects.create(business=business, name="Jamie Rivera",
                                       email="jamie@example.com")
    engagement = services.create_engagement(
        business, customer, playbook, kind="Job", description="Boiler service",
        won_at=timezone.now() - dt.timedelta(hours=1),
    )
    message = EmailMultiAlternatives(
        "Thanks", "Thank you", "sam@riverside.example", ["jamie@example.com"],
        headers={BUSINESS_HEADER: business.slug},
    )
    OutboxEmailBackend().send_messages([message])

    def touchpoint():
        return engagement.touchpoints.filter(status="planned").first().public_id

    def promise():
        from followthrough.agenda.models import Promise
        return Promise.objects.create(business=business, customer=customer, what="Call back",
                                      due_on=dt.date(2030, 1, 1)).public_id

    def batch():
        from followthrough.agenda.models import CardBatch
        return CardBatch.objects.create(business=business).public_id

    def service():
        from followthrough.agenda.models import ServiceInterval, ServicePlan
        interval = ServiceInterval.objects.create(business=business, name="Service")
        return ServicePlan.objects.create(business=business, engagement=engagement,
                                          interval=interval).public_id

    def integration(kind):
        from followthrough.api.models import ApiKey
        from followthrough.integrations.models import ImportJob, InboundSource, WebhookEndpoint
        if kind == "apikey":
            return ApiKey.issue(business, "Shop")[0].public_id
        if kind == "import":
            return ImportJob.objects.create(business=business, filename="c.csv",
                                            data=b"Name,Email\nAda,ada@example.com\n",
                                            total=1).public_id
        if kind == "inbound":
            return InboundSource.objects.create(business=business, provider="generic",
                                                playbook=playbook).public_id
        return WebhookEndpoint.objects.create(business=business, url="https://example.com/h",
                                              events=["incident.opened"]).public_id

    def conversation():
        from followthrough.conversations.models import Attachment, Message
        message = Message.objects.create(
            business=business, customer=customer, direction=Message.IN, channel="email",
            from_address="jamie@example.com", body="Photo attached", received_at=timezone.now())
        return Attachment.objects.create(business=business, message=message, filename="a.png",
                                         content_type="image/png", size=1, data=b"x").public_id

    return {
        "conversation": conversation,
        "apikey": lambda: integration("apikey"),
        "import": lambda: integration("import"),
        "inbound": lambda: integration("inbound"),
        "webhook": lambda: integration("webhook"),
        "promise": promise,
        "batch": batch,
        "service": service,
        "customer": lambda: customer.public_id,
        "engagement": lambda: engagement.public_id,
        "playbook": lambda: playbook.public_id,
        "step": lambda: playbook.steps.first().public_id,
        "touch": touchpoint,
        "outbox": lambda: OutboxMessage.objects.get(business_slug=business.slug).public_id,
        "member": lambda: Membership.objects.get_or_create(
            business=business, user=_user("teammate@riverside.example"),
            defaults={"role": Membership.STAFF})[0].public_id,
        "invitation": lambda: Invitation.objects.create(
            business=business, email="new@riverside.example").public_id,
        "incident": lambda: feedback_services.open_incident(
            customer, engagement, "complaint", "Late").public_id,
        "testimonial": lambda: SurveyResponse.objects.create(
            business=business, customer=customer, engagement=engagement, nps=10,
            went_well="Great", quote_as="full").public_id,
    }


def _user(email):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get_or_create(username=email, email=email)[0]


def url_for(route: str, value: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", value, route)


def request(client, url):
    """GET, or POST when the route only takes POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def test_it_finds_the_routes_with_ids():
    names = {name for name, _, _ in ID_ROUTES}
    assert {"customer_detail", "engagement_detail", "playbook_detail", "step_edit",
            "touch_done", "outbox_message"} <= names


@pytest.mark.parametrize(("name", "route", "params"), ID_ROUTES, ids=[r[0] for r in ID_ROUTES])
def test_it_hides_every_object_from_an_outsider(outsider_client, owner, objects, name,
                                                route, params):
    kind = object_kind(name)
    assert kind in objects, f"Add a factory for {kind!r} so route {route} is isolation-tested"
    url = url_for(route, objects[kind]())

    owner_client = Client()
    owner_client.force_login(owner)
    assert request(owner_client, url).status_code != 404, "the factory makes the wrong object"

    url = url_for(route, objects[kind]())
    assert request(outsider_client, url).status_code == 404


@pytest.mark.parametrize(("name", "route", "params"), ID_ROUTES, ids=[r[0] for r in ID_ROUTES])
def test_it_sends_anonymous_visitors_of_object_pages_to_sign_in(client, objects, name, route,
                                                                params):
    url = url_for(route, objects[object_kind(name)]())
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize(("name", "route"), PLAIN_ROUTES, ids=[r[0] for r in PLAIN_ROUTES])
def test_it_sends_anonymous_visitors_to_sign_in(client, db, name, route):
    response = client.get("/" + route)
    assert response.status_code == 302
    assert response.url.startswith("/login/")
