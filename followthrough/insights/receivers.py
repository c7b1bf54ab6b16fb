"""Bump the per-business Insights version when a row the page reads changes, so the cached
figures (dashboard.py) are recomputed on the next view. Touchpoints need no receiver: the
cache key already carries their newest updated_at, which bulk updates also move."""

from django.db.models.signals import post_delete, post_save

from followthrough.insights.dashboard import bump
from followthrough.insights.metrics import optional_model

WATCHED = [
    ("customers", "Customer"), ("customers", "Engagement"), ("playbooks", "Playbook"),
    ("playbooks", "Step"), ("agenda", "Promise"), ("feedback", "SurveyResponse"),
    ("feedback", "Incident"), ("feedback", "ReviewClick"),
]


def business_id_of(instance) -> int | None:
    if hasattr(instance, "business_id"):
        return instance.business_id
    playbook = getattr(instance, "playbook", None)  # a Step belongs through its playbook
    return getattr(playbook, "business_id", None)


def changed(sender, instance, **kwargs) -> None:
    business_id = business_id_of(instance)
    if business_id is not None:
        bump(business_id)


def connect() -> None:
    for app_label, name in WATCHED:
        model = optional_model(app_label, name)
        if model is not None:
            post_save.connect(changed, sender=model, dispatch_uid=f"insights-save-{name}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"insights-delete-{name}")
