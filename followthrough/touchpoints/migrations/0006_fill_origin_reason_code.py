"""Fill `origin` and `reason_code` for rows made before they existed.

Read once from what the old code left behind (idempotency-key prefixes, the step, the
moved_reason words); from here on the fields are written when a row is made or changed and
nothing parses text again. The word lists are frozen copies: a migration must not follow
later changes to the app code.
"""

from django.db import migrations
from django.db.models import Q

PREFIXES = (
    ("maintenance:", "maintenance"),
    ("visit:", "visit"),
    ("news:", "news"),
    ("incident:", "incident_recovery"),
    ("ask:", "follow_up"),
    ("referral:", "referral"),
)
# In order of precedence: the first match wins. The planner appended the frequency cap
# last and the call window after the hours rules, so this is "the last move made".
WORDS = (
    (Q(moved_reason="no longer in the plan"), "dropped_from_plan"),
    (Q(moved_reason="no consent"), "no_consent"),
    (Q(moved_reason__startswith="snoozed: no answer"), "no_answer"),
    (Q(moved_reason__startswith="snoozed"), "snoozed"),
    (Q(moved_reason="Customer erased"), "customer_erased"),
    (Q(moved_reason="moved to a free day"), "next_free_time"),
    (Q(moved_reason__startswith="moved to the next time"), "next_free_time"),
    (Q(moved_reason__contains="frequency cap"), "frequency_cap"),
    (Q(moved_reason__contains="call hours"), "call_hours"),
    (Q(moved_reason__contains="quiet hours"), "quiet_hours"),
    (Q(moved_reason__contains="business hours"), "business_hours"),
    (Q(moved_reason__contains="not a business day"), "business_hours"),
    (Q(moved_reason__contains="does not exist that day"), "clock_change"),
    (Q(status="missed"), "catch_up_missed"),
    (Q(status="paused"), "incident_open"),
    (Q(status="cancelled", outcome_note="The engagement was cancelled."),
     "engagement_cancelled"),
    (Q(status="cancelled", origin="maintenance"), "plan_stopped"),
)


def fill(apps, schema_editor):
    Touchpoint = apps.get_model("touchpoints", "Touchpoint")
    rows = Touchpoint.objects.all()
    rows.filter(step__isnull=False).update(origin="playbook_step")
    for prefix, origin in PREFIXES:
        rows.filter(step__isnull=True, idempotency_key__startswith=prefix).update(origin=origin)
    _fill_deleted_steps(Touchpoint)
    for condition, code in WORDS:
        rows.filter(condition, reason_code="").update(reason_code=code)


def _fill_deleted_steps(Touchpoint):
    """A playbook row whose step was deleted lost its step; its key still starts with its
    engagement's public id ("<engagement>:<step>:<n>")."""
    left = Touchpoint.objects.filter(step__isnull=True, origin="manual").values_list(
        "pk", "idempotency_key", "engagement__public_id")
    ours = [pk for pk, key, engagement in left.iterator() if key.startswith(f"{engagement}:")]
    for start in range(0, len(ours), 500):
        Touchpoint.objects.filter(pk__in=ours[start:start + 500]).update(origin="playbook_step")


class Migration(migrations.Migration):

    dependencies = [
        ("touchpoints", "0005_touchpoint_origin_reason_code"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
