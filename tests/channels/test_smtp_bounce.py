"""Which SMTP refusals mean the recipient's mailbox does not exist (and so suppress it)."""

import smtplib

import pytest

from followthrough.channels.transports import classify, mailbox_gone


@pytest.mark.parametrize(("code", "reply", "at_rcpt", "gone"), [
    (550, "5.1.1 User unknown", True, True),
    (550, "Mailbox unavailable", True, True),
    (551, "User not local", True, True),
    (553, "5.1.3 Bad address syntax", True, True),
    (550, "5.2.1 Mailbox disabled", True, True),
    (550, "5.7.1 Relaying denied", True, False),
    (552, "5.2.2 Mailbox full", True, False),
    (554, "5.7.1 Spam", True, False),
    (550, "Message content rejected", False, False),
    (550, "5.1.1 User unknown", False, True),
])
def test_it_tells_a_missing_mailbox_from_other_refusals(code, reply, at_rcpt, gone):
    assert mailbox_gone(code, reply.encode(), at_rcpt=at_rcpt) is gone


def test_it_does_not_blame_the_recipient_when_our_sender_is_refused():
    error = classify(smtplib.SMTPSenderRefused(550, b"5.1.8 Bad sender", "sam@riverside.example"))
    assert error.permanent and not error.bounced
