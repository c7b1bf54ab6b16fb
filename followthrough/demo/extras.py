"""The parts of the demo story that come after the plan: answers to surveys (one of them
unhappy), promises made on the phone, review links, and maintenance reminders."""

import datetime as dt
import random

from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.agenda.models import ServiceInterval
from followthrough.agenda.services import make_promise, start_service_plan
from followthrough.feedback.models import Quote
from followthrough.feedback.services import settings_for, submit_response
from followthrough.touchpoints.models import Status, Touchpoint

HAPPY_ANSWERS = [
    {"nps": 10, "csat": 5, "went_well": "Tidy, on time, and explained everything.",
     "quote_as": Quote.FULL},
    {"nps": 9, "csat": 5, "went_well": "Sam fixed it in an hour. Lovely to deal with.",
     "quote_as": Quote.INITIALS},
    {"nps": 8, "csat": 4, "went_well": "Good work.", "improve": "A text when you're on the way."},
    {"nps": 7, "csat": 4, "went_well": "Fine overall.",
     "anything_else": "Could you look at the outside tap in spring?"},
]
UNHAPPY_ANSWER = {
    "nps": 3, "csat": 2, "went_well": "",
    "improve": "The radiator in the back bedroom is still cold and nobody called back.",
}
PROMISES = [
    ("Send the photos of the new valve for their insurer", -2),
    ("Drop round a spare filter cartridge", 1),
    ("Call back with a quote for the downstairs loo", 3),
]


def add_after_sales_story(business, owner, rng: random.Random, now: dt.datetime) -> None:
    _set_review_and_social_links(business)
    _answer_surveys(business, rng, now)
    _make_promises(business, owner, now)
    _start_boiler_reminders(business)


def _set_review_and_social_links(business) -> None:
    feedback = settings_for(business)
    feedback.google_review_url = "https://g.page/r/riverside-demo/review"
    feedback.facebook_url = "https://www.facebook.com/riverside.demo"
    feedback.instagram_url = "https://www.instagram.com/riverside.demo"
    feedback.save()


def _answer_surveys(business, rng: random.Random, now: dt.datetime) -> None:
    sent = list(Touchpoint.objects.filter(
        business=business, element=v.FEEDBACK, status=Status.SENT
    ).select_related("customer", "business").order_by("due_at"))
    for index, touchpoint in enumerate(sent):
        unhappy = index == len(sent) - 1
        # The unhappy answer came in this morning, so its recovery call is today's news.
        answered_at = (now - dt.timedelta(hours=2) if unhappy
                       else touchpoint.due_at + dt.timedelta(hours=rng.randint(1, 30)))
        if answered_at > now or answered_at < touchpoint.due_at:
            continue
        answers = UNHAPPY_ANSWER if unhappy else rng.choice(HAPPY_ANSWERS)
        if index % 4 != 3 or unhappy:  # some never answer, as in life
            submit_response(touchpoint, dict(answers), now=answered_at)


def _make_promises(business, owner, now: dt.datetime) -> None:
    customers = list(business.customers.order_by("name")[:len(PROMISES)])
    today = timezone.localdate(now, business.zone)
    for customer, (what, days) in zip(customers, PROMISES, strict=False):
        make_promise(business, customer, owner, what, today + dt.timedelta(days=days))


def _start_boiler_reminders(business) -> None:
    interval = ServiceInterval.objects.create(
        business=business, name="Boiler service", every=12, lead_days=21, channel="card"
    )
    delivered = business.engagements.filter(
        delivered_at__isnull=False, kind="Boiler service", cancelled_at__isnull=True
    )
    for engagement in delivered[:5]:
        start_service_plan(engagement, interval)
