"""Was the customer unhappy? Asked by touchpoints before a review ask is stopped.

A detractor here is a customer whose latest recommend score is 0–6, or who has an incident
still open. Stopping their review ask is exactly what review gating looks like, so it needs
a reason, is audited and is counted on Insights (touchpoints.services.stop_review_ask)."""

from followthrough.feedback.models import Incident, SurveyResponse

DETRACTOR_MAX = 6


def low_score(customer) -> str:
    """Why this customer counts as unhappy, in a few words; "" when they don't."""
    if Incident.objects.filter(customer=customer, resolved_at=None).exists():
        return "they have an incident still open"
    latest = (SurveyResponse.objects.filter(customer=customer, nps__isnull=False)
              .order_by("-created_at", "-id").values_list("nps", flat=True).first())
    if latest is not None and latest <= DETRACTOR_MAX:
        return f"their latest recommend score was {latest} out of 10"
    return ""


def on_review_ask_stopping(sender, touchpoint, **kwargs) -> str:
    """Receiver of touchpoints.signals.review_ask_stopping."""
    return low_score(touchpoint.customer)
