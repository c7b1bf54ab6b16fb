"""The worker's last look before a text goes: a landline takes calls, not texts."""

from followthrough.channels import kinds
from followthrough.customers.models import Customer
from followthrough.touchpoints import worker
from followthrough.touchpoints.models import Reason, Status
from tests.touchpoints.conftest import NOON

LONDON_LANDLINE = "+442079460999"


def test_it_skips_a_text_to_a_landline_and_says_why(business, make_touchpoint, settings):
    # Twilio is configured but never reached: the row is settled before any send.
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "ACtest", "token"
    settings.TWILIO_FROM = "+15005550006"
    touch = make_touchpoint(channel=kinds.SMS)
    Customer.objects.filter(pk=touch.customer_id).update(phone=LONDON_LANDLINE)

    worker.run_once(now=NOON)

    touch.refresh_from_db()
    assert (touch.status, touch.reason_code) == (Status.SKIPPED, Reason.NO_ADDRESS)
    assert "landline" in touch.outcome_note
