"""Conversation test data: a customer with a job, Postmark's inbound webhook as anymail
parses it (Postmark cannot be reached from here: we post what its documentation shows,
with the Basic-auth secret anymail checks) and the SMTP sink for the worker's sends."""

import base64
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from tests.conftest import skip_unless_ci
from tests.conversations.dovecot import Dovecot, installed
from tests.smtp import running_sink

# Noon in New York (the `business` fixture's zone): outside the default quiet hours.
NOON = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.UTC)
INBOUND_URL = "/integrations/anymail/postmark/inbound/"


@pytest.fixture
def ada(business):
    return Customer.objects.create(business=business, name="Ada Lovelace",
                                   email="ada@example.com", phone="+12125550123")


@pytest.fixture
def job(ada):
    return Engagement.objects.create(business=ada.business, customer=ada, kind="Job",
                                     description="Kitchen sink", won_at=timezone.now())


@pytest.fixture
def sink(settings):
    with running_sink(settings) as sink:
        yield sink


@pytest.fixture
def postmark(settings, client):
    """post(from_, text, subject=..., headers=[...], to=...): Postmark's inbound JSON."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    auth = {"Authorization": "Basic " + base64.b64encode(b"hook:secret").decode()}

    def post(from_="ada@example.com", text="Thanks!", subject="Re: Thanks", headers=(),
             to="sam@riverside.example", message_id="<reply-1@example.com>", **extra):
        document = {
            "FromFull": {"Email": from_, "Name": "Ada"}, "From": from_,
            "ToFull": [{"Email": to, "Name": ""}], "To": to, "Subject": subject,
            "TextBody": text, "HtmlBody": extra.pop("html", ""),
            "Date": "Wed, 10 Jun 2026 12:00:00 -0400", "MessageID": "pm-1",
            "Headers": [{"Name": "Message-ID", "Value": message_id}, *[
                {"Name": name, "Value": value} for name, value in headers]],
            **extra,
        }
        return client.post(INBOUND_URL, json.dumps(document), content_type="application/json",
                           headers=auth)
    return post



@pytest.fixture
def dovecot():
    """Debian's dovecot-imapd on a free port of 127.0.0.1 (tests/conversations/dovecot.py)."""
    if not installed():
        skip_unless_ci("dovecot-imapd is not installed (apt-get install dovecot-imapd)")
    # Not pytest's tmp_path: dovecot's sign-in processes run as another user, and every
    # directory above their sockets must let them through.
    root = Path(tempfile.mkdtemp(prefix="followthrough-imap-"))
    server = Dovecot(root)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
