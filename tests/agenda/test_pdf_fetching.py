"""PDFs fetch nothing from outside: not the server's files, not the network, not data: URLs.

The attack (issue #12): `<link rel=attachment href=file:///proc/self/environ>` in a
customer's name put SECRET_KEY and the SQLite file into cards.pdf as attachments."""

import io

import pytest
from pypdf import PdfReader

from followthrough.agenda import printables
from followthrough.agenda.models import CardBatch
from followthrough.channels import kinds
from followthrough.customers.models import Customer

PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
         "mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
HOSTILE = (f'<link rel=attachment href=file:///proc/self/environ>'
           f'<img src=http://127.0.0.1:1/x><img src="{PIXEL}">'
           f'<link rel=stylesheet href=file:///etc/passwd>Jo')


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks for, and whether it got it."""
    calls = []
    real = printables.static_only_fetcher

    def recording(url):
        try:
            result = real(url)
        except Exception:
            calls.append((url, False))
            raise
        calls.append((url, True))
        return result

    monkeypatch.setattr(printables, "static_only_fetcher", recording)
    return calls


def attachments(pdf: bytes) -> dict:
    return PdfReader(io.BytesIO(pdf)).attachments


@pytest.mark.parametrize("url", [
    "file:///proc/self/environ", "file:///etc/passwd", "http://127.0.0.1:1/x",
    "https://example.com/a.css", PIXEL, "http://testserver/static/../settings.py",
    "http://testserver/static/%2e%2e/%2e%2e/settings.py", "http://testserver/static/",
    "http://testserver/static/followthrough//app.css", "http://testserver/media/x.png",
])
def test_it_refuses_everything_but_static_files(url):
    with pytest.raises(printables.Refused):
        printables.static_only_fetcher(url)


def test_it_serves_the_apps_own_static_files():
    result = printables.static_only_fetcher("http://testserver/static/followthrough/app.css")
    with result["file_obj"] as file:
        assert file.read(1)
    assert result["mime_type"] == "text/css"


def test_it_attaches_nothing_even_to_raw_hostile_html(fetched):
    pdf = printables.render_pdf(f"<html><body>{HOSTILE}</body></html>")
    assert attachments(pdf) == {}
    assert fetched and not any(ok for _, ok in fetched)


def test_it_fetches_nothing_for_a_hostile_customer_on_cards(owner_client, touch, fetched):
    for _ in range(2):
        row = touch(channel=kinds.CARD, name="Thank-you card")
    Customer.objects.filter(pk=row.customer_id).update(
        name="<link rel=attachment href=file:///proc/self/environ>Jo", notes=HOSTILE,
        defining_moment=HOSTILE, postal_address=HOSTILE)
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    for kind in ("cards", "labels", "postcards"):
        response = owner_client.get(f"/cards/{batch.public_id}/{kind}.pdf")
        assert response.status_code == 200
        assert attachments(response.content) == {}
    assert fetched == []


def test_it_prints_a_hostile_name_as_text(owner_client, touch):
    row = touch(channel=kinds.CARD, name="Thank-you card")
    Customer.objects.filter(pk=row.customer_id).update(name="<b>Jo</b> & Co")
    owner_client.post("/cards/new/")
    batch = CardBatch.objects.get()
    pdf = owner_client.get(f"/cards/{batch.public_id}/cards.pdf").content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "<b>Jo</b> & Co" in text
