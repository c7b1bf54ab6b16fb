"""Card batches: the PDFs say the right things, and posting completes the cards."""

import io

from pypdf import PdfReader

from followthrough import vocabulary as v
from followthrough.agenda.models import CardBatch
from followthrough.channels import kinds
from followthrough.touchpoints.models import Status


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return [page.extract_text() for page in reader.pages]


def make_batch(owner_client, touch, count=2):
    cards = [touch(channel=kinds.CARD, name="Thank-you card") for _ in range(count)]
    owner_client.post("/cards/new/")
    return CardBatch.objects.get(), cards


def test_it_prints_one_page_per_card_with_name_occasion_and_points(owner_client, touch):
    batch, _ = make_batch(owner_client, touch)
    pages = pdf_text(owner_client.get(f"/cards/{batch.public_id}/cards.pdf"))
    assert len(pages) == 2
    assert "Jamie Rivera" in pages[0]
    assert "A THANK-YOU" in pages[0].upper()
    assert "Thank you so much for choosing us for a new water heater." in pages[0]
    assert "Talking points" in pages[0]
    assert "Pepper" in pages[0]


def test_it_prints_address_labels(owner_client, touch):
    batch, _ = make_batch(owner_client, touch)
    (page,) = pdf_text(owner_client.get(f"/cards/{batch.public_id}/labels.pdf"))
    assert "4 Elm Street" in page and "Hudson, NY 12534" in page


def test_it_prints_postcards_for_maintenance_reminders(owner_client, touch):
    touch(channel=kinds.CARD, element=v.MAINTENANCE, step=False, name="Service reminder")
    from followthrough.touchpoints.models import Origin, Touchpoint
    row = Touchpoint.objects.get()
    Touchpoint.objects.filter(pk=row.pk).update(
        idempotency_key=f"maintenance:x:{row.pk}", rendered_body="Your service is due soon.",
        origin=Origin.MAINTENANCE,
    )
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    (page,) = pdf_text(owner_client.get(f"/cards/{batch.public_id}/postcards.pdf"))
    assert "Your service is due soon." in page and "4 Elm Street" in page


def test_it_completes_the_cards_when_posted(owner_client, touch):
    batch, cards = make_batch(owner_client, touch)
    owner_client.post(f"/cards/{batch.public_id}/posted/")
    assert {c.status for c in cards for c in [c.__class__.objects.get(pk=c.pk)]} == {Status.DONE}
    batch.refresh_from_db()
    assert batch.posted_at is not None


def test_it_leaves_batched_cards_out_of_the_next_batch(owner_client, touch):
    make_batch(owner_client, touch)
    response = owner_client.post("/cards/new/", follow=True)
    assert CardBatch.objects.count() == 1
    assert "no cards to write" in response.text
