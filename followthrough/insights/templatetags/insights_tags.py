"""The delta and relationship health on the engagement and customer pages, which live in
touchpoints and cannot import insights: their templates load these tags instead."""

from django import template

from followthrough.insights import metrics as m

register = template.Library()


@register.inclusion_tag("insights/_engagement_delta.html")
def engagement_delta(engagement):
    return {"engagement": engagement, "delta": m.engagement_delta(engagement),
            "total": len(m.ELEMENTS)}


@register.inclusion_tag("insights/_customer_insights.html")
def customer_insights(customer):
    health = m.health(customer.business_id, customers=[customer]).get(customer.pk)
    return {"customer": customer, "health": health, "deltas": m.customer_deltas(customer),
            "total": len(m.ELEMENTS), "no_contact_months": m.NO_CONTACT_MONTHS}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
