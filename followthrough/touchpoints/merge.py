"""Merge fields: the plain dict of strings a message template is rendered with.

Only strings go in, never model instances, so a template cannot walk from a value into the
database."""

from django.conf import settings

from followthrough import vocabulary as v
from followthrough.channels.rendering import MERGE_FIELDS
from followthrough.customers.consent import unsubscribe_token
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business


def unsubscribe_url(customer: Customer, purpose: str) -> str:
    return f"{settings.SITE_URL}/u/{unsubscribe_token(customer, purpose)}"


def needs_unsubscribe(purpose: str) -> bool:
    return purpose in (v.RELATIONSHIP, v.MARKETING)


def link_fields(link_token: str | None, customer: Customer) -> dict[str, str]:
    """Customer-facing links keyed by the touchpoint's 128-bit link token; the pages behind
    them live in the feedback app (which imports us, never the other way)."""
    site = settings.SITE_URL
    code = customer.referral_code
    fields = {"referral_link": f"{site}/ref/{code}" if code else ""}
    if not link_token:
        return fields | dict.fromkeys(
            ("review_link", "feedback_link", "social_link", "subscribe_link", "score_links"), ""
        )
    survey = f"{site}/s/{link_token}"
    return fields | {
        "review_link": f"{site}/r/{link_token}",
        "feedback_link": survey,
        "social_link": f"{site}/social/{link_token}",
        "subscribe_link": f"{site}/n/{link_token}",
        "score_links": "\n".join(f"{n} {survey}?nps={n}" for n in range(10, -1, -1)),
    }


def build_context(business: Business, customer: Customer, engagement: Engagement | None,
                  purpose: str, link_token: str | None = None) -> dict[str, str]:
    """The merge fields for a preview or a message; `engagement` may be None in a preview."""
    unsubscribe = unsubscribe_url(customer, purpose) if needs_unsubscribe(purpose) else ""
    context = {
        "customer_first_name": customer.first_name,
        "customer_name": customer.name,
        "business_name": business.name,
        "sender_name": business.sender_name or business.name,
        "business_phone": business.phone,
        "engagement_description": engagement.description if engagement else "",
        "engagement_kind": engagement.kind if engagement else "",
        "site_url": settings.SITE_URL,
        "unsubscribe_link": unsubscribe,
        "preferences_link": unsubscribe,
        **link_fields(link_token, customer),
    }
    assert context.keys() == MERGE_FIELDS.keys()
    return {key: str(value or "") for key, value in context.items()}


def merge_context(touchpoint) -> dict[str, str]:
    return build_context(
        touchpoint.business, touchpoint.customer, touchpoint.engagement, touchpoint.purpose,
        touchpoint.link_token,
    )
