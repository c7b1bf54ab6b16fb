"""Built-in playbooks, as plain data, and the installer that copies them into a business.

The wording is ours: short, warm and in the owner's voice. Personal steps (calls, cards) hold
talking points for the owner rather than a message to send. Templates use only the merge
fields of touchpoints.merge (channels.rendering.MERGE_FIELDS).

The job's description is whatever the owner typed: a noun phrase ("your new boiler", "the
bathroom remodel"), a verb phrase ("Replaced the outdoor tap") or a bare name. So it never
stands in a sentence as its subject or after an article; it appears only as a label (after
a colon) or in brackets, where any of those reads right. An empty phone number or referral
link leaves its sentence out. tests/playbooks/test_library_texts.py renders every text over
twenty such descriptions. None links to site_url, which is this install's address, not the
business's website.
"""

import datetime as dt

from django.db import transaction

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants.models import Business

SIGN_OFF = (
    "\n\n{{ sender_name }}\n{{ business_name }}"
    "{% if business_phone %} · {{ business_phone }}{% endif %}"
)

# One-tap answers (the score_links merge field): one line per score in the text, a row of
# 0–10 buttons in the HTML (channels.rendering.text_to_html). Each opens the survey with that
# score, and the page records it (docs/feedback.md).
ONE_TAP_SCORES = "{{ score_links }}"
# "call 0161 555 0101" or, with no phone number, "reply".
CALL_OR_REPLY = "{% if business_phone %}call {{ business_phone }}{% else %}reply{% endif %}"
# "reply, or call 0161 555 0101" or, with no phone number, "reply".
REPLY_OR_CALL = "reply{% if business_phone %}, or call {{ business_phone }}{% endif %}"
# "(your new boiler)" after a mention of the work, or nothing.
THE_JOB = "{% if engagement_description %} ({{ engagement_description }}){% endif %}"


def step(name, *, anchor, days, at, channel, stage, element, purpose=v.RELATIONSHIP,
         subject="", body="", hours=0, every=None, until="", approve=False):
    return {
        "name": name, "anchor": anchor, "offset_days": days, "offset_hours": hours,
        "local_time": at, "repeat_every_days": every, "repeat_until": until,
        "channel": channel, "stage": stage, "element": element, "purpose": purpose,
        "subject": subject, "body": body, "requires_approval": approve,
    }


SERVICE_JOB = {
    "slug": "service-job",
    "name": "Service job",
    "description": (
        "For jobs done at the customer's place: a thank-you call after the sale, a friendly "
        "check-in while the work goes on, a quality call the day after, then thanks, "
        "feedback, a review, a referral ask and invitations to follow you and hear from "
        "you."
    ),
    "steps": [
        step(
            "Thank-you call", anchor=v.WON, days=1, at=dt.time(10, 0), channel=kinds.CALL,
            stage=1, element=v.THANK_YOU,
            body=(
                "Call {{ customer_first_name }} to say thanks for choosing us.\n"
                "The job: {{ engagement_description|default:'not written down yet' }}\n"
                "- Confirm what happens next and when we arrive.\n"
                "- Ask what made them pick us, and note it as their defining moment.\n"
                "- Ask if anything worries them about the job."
            ),
        ),
        step(
            "Before we start", anchor=v.WON, days=1, at=dt.time(17, 30), channel=kinds.EMAIL,
            stage=2, element=v.OTHER, subject="Anything we should know before we start?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "Thanks again for trusting us with the work" + THE_JOB + ". "
                "Before we get going: is there anything about your place, your schedule or "
                "the way you like things done that we should know? Just reply to this email; "
                "even a line helps." + SIGN_OFF
            ),
        ),
        step(
            "How is it going?", anchor=v.STARTED, days=2, at=dt.time(16, 0),
            channel=kinds.EMAIL, stage=3, element=v.CHECK_IN, every=7, until=v.DELIVERED,
            subject="How is it going so far?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "A quick check-in while the work is under way: how is it going from your "
                "side? Is it what you expected? If anything is not, tell us now and we will "
                "put it right. Just " + REPLY_OR_CALL + "." + SIGN_OFF
            ),
        ),
        # Written by the owner: the draft waits on Today, to be finished and approved.
        step(
            "Progress update", anchor=v.STARTED, days=5, at=dt.time(15, 0),
            channel=kinds.EMAIL, stage=3, element=v.PROGRESS_UPDATE, every=7,
            until=v.DELIVERED, approve=True, purpose=v.TRANSACTIONAL,
            subject="Progress update: {{ engagement_description|default:'your job' }}",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "A short update on the work" + THE_JOB + ".\n\n"
                "Done since last time: [one or two lines]\n"
                "Next: [what happens next, and when]\n"
                "From you: [anything we need, or delete this line]\n\n"
                "Questions at any point? Just reply." + SIGN_OFF
            ),
        ),
        step(
            "Quality check-in call", anchor=v.DELIVERED, days=1, at=dt.time(10, 0),
            channel=kinds.CALL, stage=4, element=v.CHECK_IN,
            body=(
                "Call {{ customer_first_name }} the day after we finished.\n"
                "- Is everything working as it should?\n"
                "- Did we leave the place as we found it?\n"
                "- If anything is off, book the fix before you hang up."
            ),
        ),
        step(
            "Thank you", anchor=v.DELIVERED, days=2, at=dt.time(11, 0), channel=kinds.EMAIL,
            stage=4, element=v.THANK_YOU, subject="Thank you, {{ customer_first_name }}",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "The work" + THE_JOB + " is finished, and we wanted to say thank you for "
                "choosing us. We hope it makes life a little easier. If anything needs a "
                "second look, " + CALL_OR_REPLY + " and we will come back." + SIGN_OFF
            ),
        ),
        step(
            "How did we do?", anchor=v.DELIVERED, days=4, at=dt.time(11, 0),
            channel=kinds.EMAIL, stage=4, element=v.FEEDBACK,
            subject="Two minutes to tell us how we did?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "We would love to hear what went well and what we could do better. How likely "
                "are you to recommend us to a friend? Tap a number (10 means certainly):\n"
                + ONE_TAP_SCORES + "\n\nOr open the two-minute survey:\n{{ feedback_link }}\n\n"
                "A person reads every answer." + SIGN_OFF
            ),
        ),
        step(
            "Review request", anchor=v.DELIVERED, days=7, at=dt.time(11, 0),
            channel=kinds.EMAIL, stage=4, element=v.REVIEW,
            subject="Would you share your experience?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "Small businesses like ours live on word of mouth. If you have a minute, "
                "would you write a short review of your experience with us, whatever it "
                "was?\n{{ review_link }}\n\nThank you either way." + SIGN_OFF
            ),
        ),
        step(
            "Referral ask", anchor=v.DELIVERED, days=21, at=dt.time(11, 0),
            channel=kinds.EMAIL, stage=4, element=v.REFERRAL,
            subject="Know someone who could use a hand?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "If a friend or neighbour ever needs the kind of work we did for you, we "
                "would be glad to help them too."
                "{% if referral_link %} Send them your own link, so we know they came from "
                "you and can thank you properly:\n{{ referral_link }}\n\n"
                "{% else %}\n\n{% endif %}"
                "{% if business_phone %}Or pass on our number, {{ business_phone }}, and "
                "tell them you sent them.{% else %}Or just tell them you sent them.{% endif %}"
                + SIGN_OFF
            ),
        ),
        step(
            "Follow us online", anchor=v.DELIVERED, days=10, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.SOCIAL_INVITE,
            subject="Before and after, and the odd tip",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "We post photos of jobs like yours, seasonal tips and the odd offer. If "
                "you'd like to see them, come and say hello:\n{{ social_link }}" + SIGN_OFF
            ),
        ),
        step(
            "Stay in the loop?", anchor=v.DELIVERED, days=28, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.SUBSCRIBE_INVITE,
            subject="May we keep you posted?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "A few times a year we send a short note: a reminder before the busy season, "
                "a tip to keep things working, the odd offer. Only if you want it: say yes "
                "here, and leave any time.\n{{ subscribe_link }}" + SIGN_OFF
            ),
        ),
        step(
            "Yearly maintenance reminder", anchor=v.DELIVERED, days=335, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.MAINTENANCE,
            subject="It's almost a year since we were there",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "It is nearly a year since we finished the work" + THE_JOB + ". A quick "
                "yearly check keeps small problems small. If you would like us to book one "
                "in, just " + REPLY_OR_CALL + "." + SIGN_OFF
            ),
        ),
    ],
}

PRODUCT_ORDER = {
    "slug": "product-order",
    "name": "Product order",
    "description": (
        "For orders that ship: a hand-written card the day they order, a walk-through call "
        "when it arrives, tips to get the most from it, then feedback and an open door to "
        "the community and updates."
    ),
    "steps": [
        step(
            "Order received", anchor=v.WON, days=0, at=dt.time(8, 0), channel=kinds.EMAIL,
            stage=1, element=v.OTHER, purpose=v.TRANSACTIONAL,
            subject="We have your order, {{ customer_first_name }}",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "Your order is in and we are getting it ready. We will let you know when it "
                "is on its way. Questions? Just reply." + SIGN_OFF
            ),
        ),
        step(
            "Hand-written thank-you card", anchor=v.WON, days=0, at=dt.time(11, 0),
            channel=kinds.CARD, stage=1, element=v.THANK_YOU,
            body=(
                "Write a short card to {{ customer_name }} and post it today.\n"
                "- Thank them by name for their order" + THE_JOB + ".\n"
                "- One line on why you think they will enjoy it.\n"
                "- Sign it yourself."
            ),
        ),
        step(
            "Walk-through call", anchor=v.DELIVERED, days=1, at=dt.time(10, 0),
            channel=kinds.CALL, stage=3, element=v.ONBOARDING,
            body=(
                "Call {{ customer_first_name }} now that the order has arrived.\n"
                "- Did it arrive in one piece?\n"
                "- Walk them through setting it up and the one thing most people miss.\n"
                "- Ask what they hope to use it for."
            ),
        ),
        step(
            "Getting started tips", anchor=v.DELIVERED, days=2, at=dt.time(9, 30),
            channel=kinds.EMAIL, stage=3, element=v.ONBOARDING,
            subject="A few tips to get the most from it",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "Now that your order has arrived, here is what our happiest customers do in "
                "the first week:\n"
                "- Read the care notes before the first use.\n"
                "- Keep the box and the receipt for a couple of weeks, just in case.\n"
                "- Tell us early if something doesn't feel right; most things are quick to "
                "fix.\n\n"
                "Stuck on anything? Just " + REPLY_OR_CALL + "." + SIGN_OFF
            ),
        ),
        step(
            "Is it working for you?", anchor=v.DELIVERED, days=5, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.CHECK_IN,
            subject="How is it going, {{ customer_first_name }}?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "It has been a few days: is everything working the way you hoped? If not, "
                "reply and tell us. We would much rather fix it than have you put up with "
                "it." + SIGN_OFF
            ),
        ),
        step(
            "Tell us what you think", anchor=v.DELIVERED, days=10, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.FEEDBACK,
            subject="What should we keep, and what should we change?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "Your honest opinion shapes what we make next. Two minutes, four "
                "questions:\n{{ feedback_link }}" + SIGN_OFF
            ),
        ),
        step(
            "Join us online", anchor=v.DELIVERED, days=14, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.SOCIAL_INVITE,
            subject="Come and say hello",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "We share what other customers make, behind-the-scenes bits and the "
                "occasional early look at new things. Come and say hello:\n"
                "{{ social_link }}" + SIGN_OFF
            ),
        ),
        step(
            "What are you using it for?", anchor=v.DELIVERED, days=20, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=2, element=v.OTHER,
            subject="We'd love to know how you use it",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "Every customer uses what we make a little differently. What do you use "
                "yours for? Reply with a sentence or two; it helps us send you ideas that "
                "actually fit." + SIGN_OFF
            ),
        ),
        step(
            "Stay in the loop?", anchor=v.DELIVERED, days=28, at=dt.time(10, 0),
            channel=kinds.EMAIL, stage=4, element=v.SUBSCRIBE_INVITE,
            subject="May we keep you posted?",
            body=(
                "Hi {{ customer_first_name }},\n\n"
                "We send a short note now and then with tips, new products and the odd "
                "offer. Only if you want it: you can say yes here, and leave any time.\n"
                "{{ subscribe_link }}" + SIGN_OFF
            ),
        ),
    ],
}

BUILTIN_PLAYBOOKS = [SERVICE_JOB, PRODUCT_ORDER]
BUILTIN_SLUGS = [p["slug"] for p in BUILTIN_PLAYBOOKS]


def install_builtin_playbooks(business: Business) -> list[Playbook]:
    """Copy the built-in playbooks into a business, skipping slugs it already has.

    Safe to run again. Returns the business's playbooks with the built-in slugs, whether
    created now or before, in library order.
    """
    with transaction.atomic():
        have = set(
            Playbook.objects.filter(business=business, slug__in=BUILTIN_SLUGS)
            .values_list("slug", flat=True)
        )
        for data in BUILTIN_PLAYBOOKS:
            if data["slug"] not in have:
                _install(business, data)
        found = {p.slug: p for p in Playbook.objects.filter(business=business,
                                                             slug__in=BUILTIN_SLUGS)}
    return [found[slug] for slug in BUILTIN_SLUGS]


def _install(business: Business, data: dict) -> Playbook:
    playbook = Playbook.objects.create(
        business=business, slug=data["slug"], name=data["name"], description=data["description"]
    )
    Step.objects.bulk_create(
        Step(playbook=playbook, position=position, **fields)
        for position, fields in enumerate(data["steps"], start=1)
    )
    return playbook
