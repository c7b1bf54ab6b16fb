"""Rollups: the per-customer and per-engagement inputs of the Insights page, kept up to date
incrementally (rollup.py) so a page view never walks every touchpoint.

They hold only facts that do not move with the clock (the newest contact, whether a
detractor was won back, which of the five elements happened); the page compares them with
"now" in SQL when it draws. Everything here can be rebuilt from the other apps' rows at
any time (`followthrough insights_rollup --rebuild`)."""

from django.db import models

from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business


class RollupState(models.Model):
    """How far the rollups of one business have read the touchpoint table."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="+")
    # Touchpoints updated after this were not read yet (None: never built).
    touchpoints_seen = models.DateTimeField(null=True)
    built_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    # A first build in progress (rollup.build_step, run by the worker a chunk at a time):
    # when it started, the last customer id built, and how many of how many are done.
    build_started = models.DateTimeField(null=True)
    build_cursor = models.BigIntegerField(default=0)
    build_done = models.PositiveIntegerField(default=0)
    build_total = models.PositiveIntegerField(default=0)


class StaleCustomer(models.Model):
    """A customer whose rollup must be recomputed: a receiver saw one of their engagements,
    promises, survey responses or incidents change. A plain id, not a foreign key, so a
    note written while the customer is being deleted cannot break that delete."""

    business_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business_id", "customer_id"],
                                               name="insights_stale_once")]


class CustomerRollup(models.Model):
    """A customer's relationship-health inputs. A customer without a row scores 100."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True,
                                    related_name="+")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    name_key = models.CharField(max_length=200)  # name.lower(): ties are ordered by it
    last_contact = models.DateTimeField(null=True)  # newest touch sent or done
    last_seen = models.DateTimeField(null=True)  # newest of last_contact and the last sale
    # Clock-free points off: unhappy and not won back, open incident, broken promises.
    fixed_penalty = models.PositiveSmallIntegerField(default=0)
    promises_kept = models.PositiveIntegerField(default=0)
    promises_broken = models.PositiveIntegerField(default=0)
    latest_score = models.PositiveSmallIntegerField(null=True)
    detractor_unrecovered = models.BooleanField(default=False)
    open_incident = models.BooleanField(default=False)
    maintenance_due = models.DateTimeField(null=True)
    # A maintenance reminder missed or failed with no sale since: overdue now.
    maintenance_missed = models.BooleanField(default=False)
    # The oldest reminder sent or done with no sale since: overdue once it is 60 days old.
    maintenance_since = models.DateTimeField(null=True)

    class Meta:
        # Covers the ranking: the score and the tie-break read only the index.
        indexes = [models.Index(fields=["business", "fixed_penalty", "maintenance_missed",
                                        "maintenance_since", "last_seen", "name_key", "customer"],
                                name="insights_customer_rollup")]


class EngagementRollup(models.Model):
    """Which of the five post-service elements happened for an engagement (sent or done)
    and, for each in its plan (a touchpoint of any status but cancelled), when it came or
    comes due (metrics.element_times). Only those due by the period's end count as gaps,
    which the page compares in SQL, so the row never goes stale with the clock."""

    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, primary_key=True,
                                      related_name="+")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer_id = models.BigIntegerField()
    # The delivery date of a delivered engagement that was not cancelled; otherwise None.
    delivered_at = models.DateTimeField(null=True)
    happened = models.PositiveSmallIntegerField(default=0)  # 0 to 5
    due_check_in = models.DateTimeField(null=True)  # None: not in the plan
    due_feedback = models.DateTimeField(null=True)
    due_thank_you = models.DateTimeField(null=True)
    due_social_invite = models.DateTimeField(null=True)
    due_subscribe_invite = models.DateTimeField(null=True)
    # For the business outcomes (metrics.repeat_purchase, time_to_next_purchase): the sale
    # date of a sale or job that was not cancelled (else None), whether its customer has two
    # or more such, and the days since the customer's previous one.
    won_at = models.DateTimeField(null=True)
    repeat = models.BooleanField(default=False)
    gap_days = models.FloatField(null=True)

    class Meta:
        # Covers the follow-up gaps and the monthly trend.
        indexes = [models.Index(fields=["business", "delivered_at", "happened",
                                        "due_check_in", "due_feedback", "due_thank_you",
                                        "due_social_invite", "due_subscribe_invite"],
                                name="insights_engagement_due"),
                   # A changed customer's rows are replaced by customer.
                   models.Index(fields=["customer_id"], name="insights_engagement_customer"),
                   # Covers the repeat-purchase rate and the time to the next purchase.
                   models.Index(fields=["business", "won_at", "customer_id", "repeat",
                                        "gap_days"], name="insights_engagement_rollup_won")]


class TouchRollup(models.Model):
    """A feedback request or maintenance reminder that was sent or done, and when; for a
    reminder, whether a new sale or job of its customer (not cancelled, not its own) was
    won within metrics.NEXT_JOB_DAYS after it. The page counts these instead of walking
    the touchpoint table, which then needs no index of its own for them."""

    touchpoint_id = models.BigIntegerField(primary_key=True)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    element = models.CharField(max_length=20)  # feedback or maintenance
    at = models.DateTimeField()  # completed, else due
    became_job = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["business", "element", "at", "became_job"],
                                name="insights_touch_rollup")]


class StageTouch(models.Model):
    """A finished touchpoint (sent, done, skipped, missed or failed) as the per-stage
    outcomes count it: when it was due, its stage and which column it falls in. The
    ledger the day buckets (StageDay) are kept from: when a customer is recomputed, their
    old rows here are taken off the buckets and their new ones added. The customer and
    touchpoint are plain ids, so the rows outlive a deleted customer or an archived
    touchpoint until the next refresh takes them off the buckets."""

    COMPLETED, SKIPPED, MISSED = 0, 1, 2

    touchpoint_id = models.BigIntegerField(primary_key=True)
    # No index of its own: the due index below starts with it.
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    customer_id = models.BigIntegerField()
    due_at = models.DateTimeField()
    stage = models.PositiveSmallIntegerField()
    outcome = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [
            # The two partial days at a period's edges, read from the index alone.
            models.Index(fields=["business", "due_at", "stage", "outcome"],
                         name="insights_stage_touch_due"),
            models.Index(fields=["customer_id"], name="insights_stage_touch_customer"),
        ]


class StageDay(models.Model):
    """Per business, UTC day of the due date and stage: how many finished touchpoints were
    completed, skipped and missed. A period's per-stage outcomes sum the whole days inside
    it (a few thousand rows at most) and read only its two partial days from StageTouch,
    instead of counting every finished touchpoint. UTC days, because a period is "the last
    N days" to the second, not local calendar days: no time zone or DST change moves a
    bucket's edge."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)  # the unique constraint starts with it
    day = models.DateField()
    stage = models.PositiveSmallIntegerField()
    completed = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "day", "stage"],
                                               name="insights_stage_day_once")]
