"""An SMTP 550 "no such mailbox" suppresses the address: the worker puts it on the
business's suppression list with reason "bounced", as a provider's bounce webhook does, so
nothing is sent to it again. A bounce is a delivery fact: the consent ledger is left as the
customer left it. Against aiosmtpd refusing RCPT for one address."""

import pytest

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.consent import address_hash
from followthrough.customers.models import ConsentEvent, Suppression
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Status
from tests.smtp import SinkHandler, SmtpSink
from tests.touchpoints.conftest import NOON

GONE = "gone@customer.example"


class RefusingHandler(SinkHandler):
    """Answers RCPT for some addresses with a fixed reply."""

    def __init__(self, refusals: dict[str, str]):
        super().__init__()
        self.refusals = refusals

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_sink(settings):
    def start(reply: str) -> SmtpSink:
        sink = SmtpSink()
        sink.handler = RefusingHandler({GONE: reply})
        sink.start()
        started.append(sink)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        return sink

    started: list[SmtpSink] = []
    yield start
    for sink in started:
        sink.stop()


def test_it_suppresses_an_address_the_server_says_does_not_exist(refusing_sink, make_touchpoint):
    sink = refusing_sink("550 5.1.1 <gone@customer.example>: no such user")
    gone, fine = make_touchpoint(email=GONE), make_touchpoint()
    report = worker.run_once(now=NOON)
    assert (report.sent, report.failed) == (1, 1)
    assert len(sink.messages) == 1
    gone.refresh_from_db()
    assert gone.status == Status.FAILED and "550" in gone.last_error
    assert Suppression.objects.filter(
        business=gone.business, channel=kinds.EMAIL, reason=Suppression.BOUNCED,
        address_hash=address_hash(kinds.EMAIL, GONE)).exists()
    assert not ConsentEvent.objects.filter(customer=fine.customer).exists()


def test_it_writes_no_consent_rows_for_a_bounce(refusing_sink, make_touchpoint):
    refusing_sink("550 5.1.1 <gone@customer.example>: no such user")
    gone = make_touchpoint(email=GONE)
    worker.run_once(now=NOON)
    assert not ConsentEvent.objects.filter(customer=gone.customer).exists()


def test_it_sends_nothing_more_to_the_bounced_address(refusing_sink, make_touchpoint):
    sink = refusing_sink("550 5.1.1 no such user")
    make_touchpoint(email=GONE)
    worker.run_once(now=NOON)
    again = make_touchpoint(email=GONE, purpose=v.TRANSACTIONAL)
    report = worker.run_once(now=NOON)
    again.refresh_from_db()
    assert (report.skipped, again.status, len(sink.messages)) == (1, Status.SKIPPED, 0)


def test_it_does_not_suppress_after_a_policy_refusal(refusing_sink, make_touchpoint):
    refusing_sink("550 5.7.1 Message rejected as spam")
    tp = make_touchpoint(email=GONE)
    worker.run_once(now=NOON)
    tp.refresh_from_db()
    assert tp.status == Status.FAILED
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_it_does_not_suppress_after_a_temporary_refusal(refusing_sink, make_touchpoint):
    refusing_sink("450 4.2.1 Mailbox busy, try later")
    tp = make_touchpoint(email=GONE)
    worker.run_once(now=NOON)
    tp.refresh_from_db()
    assert tp.status == Status.PLANNED
    assert not Suppression.objects.exists()
