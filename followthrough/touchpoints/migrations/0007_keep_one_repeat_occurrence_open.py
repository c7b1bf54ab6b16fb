"""Repeats are planned one ahead now. Rows made before kept up to six months of weekly
occurrences open (25 to 50 drafts per job on Today): keep the earliest open occurrence of
each repeat on each engagement and cancel the rest, exactly as the planner cancels a row
that is no longer in the plan. The next one is made when the kept one ends.
"""

from django.db import migrations
from django.db.models import Min

OPEN = ("draft", "planned", "paused")
DROPPED_WORDS = "no longer in the plan"  # frozen copy of Reason.LABELS["dropped_from_plan"]


def keep_one_open(apps, schema_editor):
    Touchpoint = apps.get_model("touchpoints", "Touchpoint")
    open_repeats = Touchpoint.objects.filter(
        origin="playbook_step", status__in=OPEN, step__repeat_every_days__isnull=False)
    firsts = (open_repeats.values("engagement_id", "step_id")
              .annotate(first=Min("occurrence")).order_by())
    for group in firsts.iterator():
        open_repeats.filter(
            engagement_id=group["engagement_id"], step_id=group["step_id"],
            occurrence__gt=group["first"],
        ).update(status="cancelled", reason_code="dropped_from_plan",
                 moved_reason=DROPPED_WORDS, lease_until=None, claimed_by="")


class Migration(migrations.Migration):

    dependencies = [
        ("touchpoints", "0006_fill_origin_reason_code"),
        ("playbooks", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(keep_one_open, migrations.RunPython.noop),
    ]
