"""Printing on the paper of the business's country: US Letter with Avery 5160 labels in the
US and Canada, A4 with Avery L7163 elsewhere, either one picked on the print page; cards
carry a message to copy, never the owner's instructions; a customer with no postal address
gets no label but a line on the page."""

import io
import itertools
import re
from types import SimpleNamespace

import pytest
from django.urls import include, path
from pypdf import PdfReader

from followthrough.agenda import printables
from followthrough.agenda.models import CardBatch
from followthrough.channels import kinds
from followthrough.customers.models import Customer

# The print page is reached through agenda/urls.py, which includes print_views; this
# URLconf includes it ahead of the project's, so these tests do not depend on that line.
urlpatterns = [path("", include("followthrough.agenda.print_views")),
               path("", include("followthrough.urls"))]
pytestmark = pytest.mark.urls(__name__)

INCH, MM = 72, 72 / 25.4
_n = itertools.count(1)


def pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def page_size(page):
    return round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)


def fake_touches(count, address="1 Main Street\nSpringfield"):
    """Touchpoint-shaped objects for the PDF functions alone, one customer each."""
    touches = []
    for _ in range(count):
        n = next(_n)
        customer = SimpleNamespace(name=f"Customer {n:03d}", postal_address=address)
        touches.append(SimpleNamespace(customer_id=n, customer=customer))
    return touches


def name_positions(data: bytes) -> list[tuple[float, float]]:
    """(x, y) in points of every "Customer nnn" drawn on the first page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.startswith("Customer "):
            found.append((round(cm[4] + tm[4] * cm[0], 1), round(cm[5] + tm[5] * cm[3], 1)))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return found


def batch_of(owner_client, touch):
    touch(channel=kinds.CARD, name="Thank-you card")
    owner_client.post("/cards/new/")
    return CardBatch.objects.get()


@pytest.mark.parametrize(("zone", "phone", "paper"), [
    ("America/New_York", "", printables.LETTER),
    ("America/Toronto", "", printables.LETTER),
    ("US/Pacific", "", printables.LETTER),
    ("Europe/Berlin", "", printables.A4),
    ("Australia/Sydney", "+1 212 555 0100", printables.A4),
    ("UTC", "+1 416 555 0100", printables.LETTER),
    ("UTC", "+44 20 7946 0000", printables.A4),
    ("UTC", "", printables.A4),
])
def test_it_picks_the_paper_from_the_business_country(zone, phone, paper):
    business = SimpleNamespace(country="", timezone=zone, phone=phone)
    assert printables.default_paper(business) == paper


def test_it_prefers_the_country_chosen_in_settings_to_the_time_zone():
    business = SimpleNamespace(country="GB", timezone="America/New_York", phone="")
    assert printables.default_paper(business) == printables.A4


def test_it_fills_an_avery_5160_sheet_of_us_letter_with_30_labels():
    reader = PdfReader(io.BytesIO(printables.labels_pdf(None, fake_touches(31),
                                                        printables.LETTER)))
    assert [page_size(p) for p in reader.pages] == [(612.0, 792.0)] * 2
    assert [p.extract_text().count("Customer ") for p in reader.pages] == [30, 1]


def test_it_fills_an_avery_l7163_sheet_of_a4_with_14_labels():
    reader = PdfReader(io.BytesIO(printables.labels_pdf(None, fake_touches(15), printables.A4)))
    assert [page_size(p) for p in reader.pages] == [(595.3, 841.9)] * 2
    assert [p.extract_text().count("Customer ") for p in reader.pages] == [14, 1]


@pytest.mark.parametrize(("paper", "pitch", "left", "top"), [
    # Avery 5160: columns every 2.75 in from 3/16 in, rows every 1 in from 0.5 in.
    (printables.LETTER, (2.75 * INCH, 1 * INCH), 0.1875 * INCH, 0.5 * INCH),
    # Avery L7163: columns every 101.6 mm from 4.65 mm, rows every 38.1 mm from 15.1 mm.
    (printables.A4, (101.6 * MM, 38.1 * MM), 4.65 * MM, 15.1 * MM),
])
def test_it_puts_each_label_on_the_sheets_die_cut(paper, pitch, left, top):
    data = printables.labels_pdf(None, fake_touches(paper.per_sheet), paper)
    positions = name_positions(data)
    xs = sorted({x for x, _ in positions})
    ys = sorted({y for _, y in positions}, reverse=True)
    assert (len(xs), len(ys)) == (paper.columns, paper.rows)
    assert [round(b - a, 1) for a, b in itertools.pairwise(xs)] == [round(pitch[0], 1)] * (
        paper.columns - 1)
    assert [round(a - b, 1) for a, b in itertools.pairwise(ys)] == [round(pitch[1], 1)] * (
        paper.rows - 1)
    height = float(PdfReader(io.BytesIO(data)).pages[0].mediabox.height)
    assert left < xs[0] < left + 0.25 * INCH  # inside the first label, past its padding
    assert top < height - ys[0] < top + 0.4 * INCH


def test_it_prints_us_letter_labels_by_default_for_a_us_business(owner_client, touch):
    batch = batch_of(owner_client, touch)
    (page,) = pdf(owner_client.get(f"/cards/{batch.public_id}/print/labels.pdf")).pages
    assert page_size(page) == (612.0, 792.0)


def test_it_prints_a4_labels_when_a4_is_picked(owner_client, touch):
    batch = batch_of(owner_client, touch)
    response = owner_client.get(f"/cards/{batch.public_id}/print/labels.pdf?paper=a4")
    (page,) = pdf(response).pages
    assert page_size(page) == (595.3, 841.9)
    assert "4 Elm Street" in page.extract_text()


def test_it_prints_cards_on_half_a_sheet_of_the_picked_paper(owner_client, touch):
    batch = batch_of(owner_client, touch)
    letter = pdf(owner_client.get(f"/cards/{batch.public_id}/print/cards.pdf?paper=letter"))
    a4 = pdf(owner_client.get(f"/cards/{batch.public_id}/print/cards.pdf?paper=a4"))
    assert page_size(letter.pages[0]) == (612.0, 396.0)  # 8.5 × 5.5 in
    assert page_size(a4.pages[0]) == (595.3, 419.5)  # A5 landscape


def test_it_answers_an_unknown_paper_with_the_fields_error(owner_client, touch):
    batch = batch_of(owner_client, touch)
    response = owner_client.get(f"/cards/{batch.public_id}/print/labels.pdf?paper=legal")
    assert response.status_code == 400
    assert "Paper: Choose US Letter or A4." in response.text


def test_it_offers_both_papers_with_the_usual_one_chosen(owner_client, touch):
    batch = batch_of(owner_client, touch)
    text = owner_client.get(f"/cards/{batch.public_id}/print/").text
    radios = re.findall(r"<input [^>]*>", text)
    assert [("checked" in r, 'value="letter"' in r) for r in radios if 'name="paper"' in r] == [
        (True, True), (False, False)]
    assert "US Letter, Avery 5160 labels" in text and "A4, Avery L7163 labels" in text


def test_it_keeps_outsiders_out_of_the_print_page(client, outsider, owner_client, touch):
    batch = batch_of(owner_client, touch)
    client.force_login(outsider)
    assert client.get(f"/cards/{batch.public_id}/print/").status_code == 404
    assert client.get(f"/cards/{batch.public_id}/print/labels.pdf").status_code == 404


def test_it_lists_a_customer_without_an_address_instead_of_a_label(owner_client, touch):
    row = touch(channel=kinds.CARD, name="Thank-you card")
    Customer.objects.filter(pk=row.customer_id).update(postal_address="  \n ")
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    reader = pdf(owner_client.get(f"/cards/{batch.public_id}/print/labels.pdf"))
    assert "Jamie Rivera" not in " ".join(p.extract_text() for p in reader.pages)
    text = owner_client.get(f"/cards/{batch.public_id}/print/").text
    assert "Needs a postal address" in text
    assert f'href="/customers/{row.customer.public_id}/">Jamie Rivera</a>' in text


def test_it_escapes_a_hostile_name_in_the_address_list(owner_client, touch):
    row = touch(channel=kinds.CARD, name="Thank-you card")
    Customer.objects.filter(pk=row.customer_id).update(
        name='<img src=x onerror=alert(1)>', postal_address="")
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    text = owner_client.get(f"/cards/{batch.public_id}/print/").text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_it_prints_a_warm_message_not_the_owners_instructions(owner_client, touch, call_step):
    call_step.channel = kinds.CARD
    call_step.body = ("Write a short card to {{ customer_name }} and post it today.\n"
                      "- Sign it yourself.")
    call_step.save()
    batch = batch_of(owner_client, touch)
    (page,) = pdf(owner_client.get(f"/cards/{batch.public_id}/print/cards.pdf")).pages
    text = page.extract_text()
    assert "Dear Jamie," in text
    assert "Thank you so much for choosing us for a new water heater." in text
    assert "Riverside Plumbing" in text
    assert "post it today" not in text and "Write a short card" not in text


def test_it_prints_a_hostile_job_description_as_text_in_the_message(owner_client, touch):
    row = touch(channel=kinds.CARD, name="Thank-you card")
    row.engagement.description = "A <b>boiler</b> {customer} & {0}"
    row.engagement.save()
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    (page,) = pdf(owner_client.get(f"/cards/{batch.public_id}/print/cards.pdf")).pages
    assert "choosing us for a <b>boiler</b> {customer} & {0}." in page.extract_text()
