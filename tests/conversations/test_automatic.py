"""Automatic answers: RFC 3834's Auto-Submitted, the X- headers, Precedence and the usual
subjects, and bounces."""

import pytest

from followthrough.conversations.automatic import kind
from followthrough.conversations.models import Message

PERSON = "ada@example.com"


@pytest.mark.parametrize("headers", [
    {"auto-submitted": "auto-replied"},
    {"auto-submitted": "auto-generated"},
    {"x-autoreply": "yes"},
    {"x-autorespond": "Out of office"},
    {"precedence": "auto_reply"},
    {"precedence": "bulk"},
    {"precedence": "junk"},
])
def test_it_recognises_automatic_headers(headers):
    assert kind(headers, "Re: Thanks", PERSON) == Message.AUTO_REPLY


@pytest.mark.parametrize("subject", ["Out of Office: Thanks", "Automatic reply: Your visit",
                                     "Auto-Reply: Thanks", "Out of the office until Monday"])
def test_it_recognises_out_of_office_subjects(subject):
    assert kind({}, subject, PERSON) == Message.AUTO_REPLY


@pytest.mark.parametrize(("subject", "sender", "content_type"), [
    ("Undeliverable: Thanks", PERSON, "text/plain"),
    ("Delivery Status Notification (Failure)", PERSON, "text/plain"),
    ("Mail delivery failed: returning message to sender", PERSON, "text/plain"),
    ("Thanks", "MAILER-DAEMON@mx.example.com", "text/plain"),
    ("Thanks", PERSON, "multipart/report; report-type=delivery-status"),
])
def test_it_recognises_bounces(subject, sender, content_type):
    assert kind({}, subject, sender, content_type) == Message.BOUNCE


@pytest.mark.parametrize(("headers", "subject"), [
    ({"auto-submitted": "no"}, "Re: Thanks"),
    ({"precedence": "list"}, "Re: Thanks"),
    ({}, "Re: Out of office hours call-out?"),
    ({}, "Re: Undelivered parcel, where is it?"),
])
def test_it_leaves_a_person_s_reply_alone(headers, subject):
    assert kind(headers, subject, PERSON) == Message.NOT_AUTOMATIC
