"""Erasure cancels everything still to come for the customer, drafts and paused touches
included, through the touchpoint lifecycle with its own reason code."""

import datetime as dt

import pytest
from django.utils import timezone

from followthrough.privacy.services import erase_customer
from followthrough.touchpoints.models import Reason, Status
from tests.feedback.conftest import customer, engagement, make_touch  # noqa: F401


@pytest.mark.parametrize("status", [Status.PLANNED, Status.DRAFT, Status.PAUSED])
def test_it_cancels_what_is_still_to_come(engagement, owner, status):  # noqa: F811
    touch = make_touch(engagement, status=status, sent=timezone.now() + dt.timedelta(days=2))
    erase_customer(owner, engagement.customer)
    touch.refresh_from_db()
    assert (touch.status, touch.reason_code) == (Status.CANCELLED, Reason.CUSTOMER_ERASED)
    assert touch.reason_text == "customer erased"


def test_it_leaves_history_as_it_was(engagement, owner):  # noqa: F811
    sent = make_touch(engagement, status=Status.SENT)
    erase_customer(owner, engagement.customer)
    sent.refresh_from_db()
    assert sent.status == Status.SENT
