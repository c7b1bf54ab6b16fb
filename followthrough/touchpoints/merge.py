"""Merge fields: the plain dict of strings a message template is rendered with.

Only strings go in, never model instances, so a template cannot walk from a value into the
database."""

from django.conf import settings

from followthrough.channels.rendering import MERGE_FIELDS
from followthrough.customers.consent import unsubscribe_token
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks import vocabulary as v
from followthrough.tenants.models import Business


def unsubscribe_url(customer: Customer, purpose: str) -> str:
    return f"{settings.SITE_URL}/u/{unsubscribe_token(customer, purpose)}"


def needs_unsubscribe(purpose: str) -> bool:
    return purpose in (v.RELATIONSHIP, v.MARKETING)


def build_context(business: Business, customer: Customer, engagement: Engagement | None,
                  purpose: str) -> dict[str, str]:
    """The merge fields for a preview or a message; `engagement` may be None in a preview."""
    website = business.website or ""
    unsubscribe = unsubscribe_url(customer, purpose) if needs_unsubscribe(purpose) else ""
    context = {
        "customer_first_name": customer.first_name,
        "customer_name": customer.name,
        "business_name": business.name,
        "sender_name": business.sender_name or business.name,
        "business_phone": business.phone,
        "engagement_description": engagement.description if engagement else "",
        "engagement_kind": engagement.kind if engagement else "",
        # Tracked review/social/subscribe redirects come with a later issue; until then the
        # business's own website is the one real page we can point to.
        "review_link": website,
        # The feedback issue adds the survey and its own 128-bit token; an object id is no
        # substitute for that, so the field stays empty until then.
        "feedback_link": "",
        "social_link": website,
        "subscribe_link": website,
        "site_url": settings.SITE_URL,
        "unsubscribe_link": unsubscribe,
    }
    assert context.keys() == MERGE_FIELDS.keys()
    return {key: str(value or "") for key, value in context.items()}


def merge_context(touchpoint) -> dict[str, str]:
    return build_context(
        touchpoint.business, touchpoint.customer, touchpoint.engagement, touchpoint.purpose
    )
