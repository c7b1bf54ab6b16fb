from django import template
from django.conf import settings

from followthrough.feedback.models import Incident, SurveyResponse

register = template.Library()


@register.simple_tag
def customer_feedback(customer) -> dict:
    """What the customer page shows of feedback; the page's view lives in touchpoints,
    which may not import feedback, so the template asks for it here."""
    code = customer.referral_code
    return {
        "responses": list(SurveyResponse.objects.filter(customer=customer)
                          .select_related("customer", "engagement__playbook")[:20]),
        "incident": Incident.objects.filter(customer=customer, resolved_at=None).first(),
        "referred": customer.referrals.count(),
        "referral_url": f"{settings.SITE_URL}/ref/{code}" if code else "",
    }


@register.filter
def duration_words(value) -> str:
    """A timedelta in plain words: 3 days, 5 hours, 12 minutes."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes >= size:
            count = round(minutes / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
