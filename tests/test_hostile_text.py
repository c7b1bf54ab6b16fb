"""One hostile string in every field a customer, a job, a business or a survey supplies,
and every page, email, PDF and feed that shows it: HTML shows it as text (no element or
attribute of its own), and text outputs carry it literally, braces included.

The string is what took over a business in issue #12: an htmx element that posts on load
runs as the signed-in owner, because <body hx-headers> carries the CSRF token."""

import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from followthrough import vocabulary as v
from followthrough.agenda import printables
from followthrough.agenda.models import CardBatch, Opportunity, Preference, Promise
from followthrough.channels import kinds
from followthrough.channels.models import OutboxMessage
from followthrough.channels.outbox import OutboxEmailBackend
from followthrough.channels.transports import build_email
from followthrough.customers.models import Customer, Engagement
from followthrough.feedback.models import Incident, SurveyResponse
from followthrough.playbooks.models import Playbook, Step
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status, Touchpoint

MARK = "/hm"
# 96 characters: short enough for every field it goes into (PostgreSQL refuses longer).
HOSTILE = (f'<img src=x onerror=alert(1)><b hx-post="{MARK}" hx-trigger=load>'
           f'"\'&{{{{ a }}}}{{% if 1 %}}{{% endif %}}</b>')
EVERY_FIELD = " ".join(f"{{{{ {name} }}}}" for name in (
    "customer_first_name", "customer_name", "business_name", "sender_name",
    "engagement_description", "engagement_kind"))


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text between them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def hostile_htmx(attrs: dict) -> bool:
    """An htmx attribute of the string's own (a form field's value may hold the text)."""
    return any(name.startswith("hx-") and (MARK in (value or "") or value == "load")
               for name, value in attrs.items())


def assert_shown_as_text(html: str, where: str) -> None:
    page = Elements(html)
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
        assert not (tag == "img" and attrs.get("src") == "x"), (where, tag, attrs)
        assert not hostile_htmx(attrs), (where, tag, attrs)
    assert "<img src=x onerror=alert(1)>" in "".join(page.text), where


@pytest.fixture
def world(business, owner):
    """The business, a customer, a job and its touches, all written with HOSTILE."""
    Business = type(business)
    Business.objects.filter(pk=business.pk).update(
        name=HOSTILE, sender_name=HOSTILE, postal_address=HOSTILE,
        # What a URLField refuses in a form but a bulk update or old row may still hold.
        website='https://riverside.example/"><img src=x onerror=alert(1)>',
        logo_url='https://riverside.example/logo.png" onload="alert(1)')
    business.refresh_from_db()
    customer = Customer.objects.create(
        business=business, name=HOSTILE, email="jo@example.com", phone="+15185550142",
        notes=HOSTILE, defining_moment=HOSTILE, postal_address=HOSTILE, tags=HOSTILE)
    now = timezone.now()
    playbook = Playbook.objects.create(business=business, slug="p", name=HOSTILE)
    engagement = Engagement.objects.create(
        business=business, customer=customer, playbook=playbook, kind=HOSTILE[:60],
        description=HOSTILE, won_at=now - dt.timedelta(days=2))
    steps = {channel: Step.objects.create(
        playbook=playbook, name=HOSTILE, channel=channel, element=v.THANK_YOU,
        purpose=v.RELATIONSHIP, subject="Hi {{ customer_name }}", body=EVERY_FIELD)
        for channel in (kinds.CALL, kinds.EMAIL, kinds.CARD, kinds.VISIT, kinds.SMS)}

    def touch(channel, status=Status.PLANNED, due=now - dt.timedelta(hours=1), **fields):
        local = due.astimezone(business.zone)
        return Touchpoint.objects.create(
            business=business, engagement=engagement, customer=customer,
            step=steps[channel], idempotency_key=f"{channel}:{status}:{due}", name=HOSTILE,
            channel=channel, stage=4, element=v.THANK_YOU, purpose=v.RELATIONSHIP,
            status=status, due_at=due, local_date=local.date(), local_time=local.time(),
            **fields)

    rows = {
        "call": touch(kinds.CALL),
        "draft": touch(kinds.EMAIL, Status.DRAFT),
        "email": touch(kinds.EMAIL),
        "sms": touch(kinds.SMS),
        "card": touch(kinds.CARD),
        "visit": touch(kinds.VISIT, due=now + dt.timedelta(days=2)),
        "done": touch(kinds.CALL, Status.DONE, due=now - dt.timedelta(days=1),
                      outcome_note=HOSTILE),
    }
    Promise.objects.create(business=business, customer=customer, what=HOSTILE,
                           due_on=now.date())
    Opportunity.objects.create(business=business, customer=customer, text=HOSTILE)
    response = SurveyResponse.objects.create(
        business=business, customer=customer, engagement=engagement, nps=2, csat=1,
        went_well=HOSTILE, improve=HOSTILE, anything_else=HOSTILE, quote_as="full")
    Incident.objects.create(business=business, customer=customer, response=response,
                            reason=Incident.REASONS[0][0], summary=HOSTILE, opened_at=now)
    return {"business": business, "customer": customer, "engagement": engagement,
            "steps": steps, "rows": rows}


def pages(world):
    customer, rows = world["customer"], world["rows"]
    return [
        "/today/", "/today/?who=everyone", "/week/", "/promises/", "/customers/",
        f"/customers/{customer.public_id}/",
        f"/customers/engagements/{world['engagement'].public_id}/",
        f"/touches/{rows['call'].public_id}/preview/",
        f"/touches/{rows['draft'].public_id}/approve/",
        f"/playbooks/steps/{world['steps'][kinds.EMAIL].public_id}/preview/",
        f"/playbooks/steps/{world['steps'][kinds.EMAIL].public_id}/edit/",
        "/playbooks/", "/feedback/", "/feedback/incidents/", "/feedback/testimonials/",
        "/insights/", "/outbox/",
    ]


def test_it_shows_hostile_text_as_text_on_every_page(owner_client, world):
    for path in pages(world):
        response = owner_client.get(path)
        assert response.status_code == 200, path
        page = Elements(response.text)
        for tag, attrs in page.tags:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), (path, tag, attrs)
            assert not hostile_htmx(attrs), (path, tag, attrs)


@pytest.mark.parametrize("path", ["/today/", "/week/", "customer", "engagement", "preview",
                                  "approve", "step", "/feedback/", "/feedback/incidents/"])
def test_it_shows_the_text_literally(owner_client, world, path):
    path = {
        "customer": f"/customers/{world['customer'].public_id}/",
        "engagement": f"/customers/engagements/{world['engagement'].public_id}/",
        "preview": f"/touches/{world['rows']['call'].public_id}/preview/",
        "approve": f"/touches/{world['rows']['draft'].public_id}/approve/",
        "step": f"/playbooks/steps/{world['steps'][kinds.EMAIL].public_id}/preview/",
    }.get(path, path)
    assert_shown_as_text(owner_client.get(path).text, path)


def test_it_mails_the_text_literally_and_escapes_its_html(world):
    outgoing = worker.compose(world["rows"]["email"])
    assert HOSTILE in outgoing.text
    assert HOSTILE.replace("\n", " ") in outgoing.subject
    assert_shown_as_text(outgoing.html, "email html")


def test_it_texts_the_text_literally(world):
    outgoing = worker.compose(world["rows"]["sms"])
    assert HOSTILE in outgoing.body


def test_it_shows_the_sent_email_as_text_in_the_outbox(owner_client, world):
    OutboxEmailBackend().send_messages([build_email(worker.compose(world["rows"]["email"]))])
    message = OutboxMessage.objects.get()
    for path in ("/outbox/", f"/outbox/{message.public_id}/",
                 f"/outbox/{message.public_id}/html/"):
        response = owner_client.get(path)
        assert response.status_code == 200, path
        assert not any(hostile_htmx(attrs) for _, attrs in Elements(response.text).tags)
    assert_shown_as_text(owner_client.get(f"/outbox/{message.public_id}/html/").text, "html")


def test_it_prints_the_text_and_fetches_nothing_for_pdfs(owner_client, world, monkeypatch):
    asked = []
    monkeypatch.setattr(printables, "static_only_fetcher", lambda url: asked.append(url) or {})
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    for kind in ("cards", "labels", "postcards"):
        pdf = PdfReader(io.BytesIO(owner_client.get(f"/cards/{batch.public_id}/{kind}.pdf")
                                   .content))
        assert pdf.attachments == {}
        text = " ".join(page.extract_text() for page in pdf.pages)
        if kind != "postcards":  # postcards are for maintenance reminders only
            assert "<img src=x onerror=alert(1)>" in text, kind
    assert asked == []


def test_it_keeps_the_text_in_its_own_feed_properties(client, world, owner):
    preference, _ = Preference.objects.get_or_create(business=world["business"], user=owner)
    preference.feed_token = "c" * 22
    preference.save()
    body = client.get(f"/cal/{preference.feed_token}.ics").content
    events = Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == body.count(b"BEGIN:VEVENT") >= 2
    summaries = " ".join(str(event["summary"]) for event in events)
    assert HOSTILE in summaries
