"""Files that come with a customer's email: kept up to a limit, listed in the conversation,
served only to signed-in members of the business and only as a download, and erased with
the customer. Postmark cannot be reached from here: its inbound post is built from its
documentation (see conftest.postmark)."""

import base64

import pytest
from django.test import Client
from django.urls import reverse

from followthrough.conversations import services
from followthrough.conversations.models import Attachment, Message
from followthrough.privacy.services import erase_customer, export_customer

PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def file(name, data, content_type="image/png"):
    return {"Name": name, "Content": base64.b64encode(data).decode(),
            "ContentType": content_type, "ContentLength": len(data)}


@pytest.fixture
def sent_photo(postmark, ada):
    postmark(text="The drain is slow again, photo attached.",
             Attachments=[file("drain.png", PHOTO)])
    return Attachment.objects.get()


def test_it_keeps_a_file_that_comes_with_an_email(sent_photo, ada):
    assert (sent_photo.filename, sent_photo.size, bytes(sent_photo.data)) == (
        "drain.png", len(PHOTO), PHOTO)
    assert sent_photo.message.customer == ada


def test_it_lists_the_file_in_the_customers_conversation(sent_photo, owner_client, ada):
    page = owner_client.get(reverse("customer_detail", args=[ada.public_id])).content.decode()
    assert reverse("conversation_attachment", args=[sent_photo.public_id]) in page


def test_it_serves_the_file_to_a_member_as_a_download(sent_photo, owner_client):
    response = owner_client.get(reverse("conversation_attachment", args=[sent_photo.public_id]))
    assert response.status_code == 200 and response.content == PHOTO
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_never_serves_a_file_to_someone_outside_the_business(sent_photo, outsider_client):
    url = reverse("conversation_attachment", args=[sent_photo.public_id])
    assert outsider_client.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # signed out: to the sign-in page


def test_it_only_downloads_a_file_that_could_run_as_a_page(postmark, ada, owner_client):
    postmark(text="See attached", Attachments=[file("plan.svg", SVG, "image/svg+xml")])
    svg = Attachment.objects.get()
    response = owner_client.get(reverse("conversation_attachment", args=[svg.public_id]))
    assert response["Content-Type"] == "application/octet-stream"
    assert "sandbox" in response["Content-Security-Policy"]


def test_it_names_a_file_over_the_limit_and_keeps_the_message(postmark, ada, monkeypatch):
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 10)
    postmark(text="Two photos", Attachments=[file("big.png", PHOTO), file("ok.txt", b"hi",
                                                                          "text/plain")])
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["ok.txt"]
    assert "Not kept: big.png" in Message.objects.get().body


def test_it_exports_the_file_and_erases_it_with_the_customer(sent_photo, ada, owner):
    exported = export_customer(ada)["records"]["conversations_attachment"][0]
    assert base64.b64decode(exported["data"]) == PHOTO

    erase_customer(owner, ada)

    sent_photo.refresh_from_db()
    assert bytes(sent_photo.data) == b"" and sent_photo.filename == ""
