"""The business's display name in From: is quoted (email.utils.formataddr), so a name
written to look like addresses stays one name and adds no recipient or sender."""

from email.utils import getaddresses

from followthrough.tenants.models import Business
from followthrough.touchpoints import worker
from tests.touchpoints.conftest import NOON

HOSTILE = 'Sam, "Boss" <evil@attacker.example>'


def test_it_quotes_a_sender_name_that_looks_like_an_address(business):
    business.sender_name = HOSTILE
    assert getaddresses([business.from_email]) == [(HOSTILE, "sam@riverside.example")]


def test_it_sends_from_one_address_whatever_the_sender_name(sink, business, make_touchpoint):
    Business.objects.filter(pk=business.pk).update(sender_name=HOSTILE)
    make_touchpoint()
    worker.run_once(now=NOON)
    [message] = sink.messages
    assert getaddresses(message.get_all("From")) == [(HOSTILE, "sam@riverside.example")]
    assert "attacker" not in (message["Sender"] or "") + (message["Reply-To"] or "")


def test_it_keeps_a_plain_sender_name_as_it_was(business):
    assert business.from_email == "Sam at Riverside <sam@riverside.example>"


def test_it_puts_a_sender_name_with_a_line_break_on_one_line(business):
    business.sender_name = "Sam\r\nBcc: evil@attacker.example"
    assert business.from_email == '"Sam Bcc: evil@attacker.example" <sam@riverside.example>'
