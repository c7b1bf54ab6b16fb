"""Keeping plans in step with their playbooks."""

from django.dispatch import receiver

from followthrough.customers.models import Engagement
from followthrough.playbooks.models import Playbook
from followthrough.playbooks.signals import playbook_changed
from followthrough.touchpoints.models import Status, Touchpoint
from followthrough.touchpoints.planning import plan_engagement


@receiver(playbook_changed, sender=Playbook)
def replan_open_engagements(sender, playbook, **kwargs):
    """A step was added, edited, moved or deleted: every engagement that still has planned
    touchpoints from this playbook gets its plan redone, so the change applies to them too.
    History is never touched (plan_engagement only moves planned rows)."""
    open_ids = (
        Touchpoint.objects.filter(engagement__playbook=playbook, status=Status.PLANNED)
        .values("engagement_id").distinct()
    )
    engagements = Engagement.objects.filter(pk__in=open_ids, cancelled_at__isnull=True)
    for engagement in engagements.select_related("business"):
        plan_engagement(engagement)
