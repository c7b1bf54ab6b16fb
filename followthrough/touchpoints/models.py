from django.conf import settings
from django.db import models

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.playbooks.models import Step
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id


class Status:
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAUSED = "paused"
    # Waiting on Today for a person to approve, edit or skip; the worker claims only planned.
    DRAFT = "draft"

    CHOICES = [
        (PLANNED, "Planned"),
        (SENDING, "Sending"),
        (SENT, "Sent"),
        (DONE, "Done"),
        (SKIPPED, "Skipped"),
        (MISSED, "Missed"),
        (FAILED, "Failed"),
        (CANCELLED, "Cancelled"),
        (PAUSED, "Paused"),
        (DRAFT, "Waiting for approval"),
    ]
    # Replanning may move or cancel only these; everything else is history.
    REPLANNABLE = frozenset({PLANNED})
    HAPPENED = frozenset({SENT, DONE})
    FINISHED = frozenset({SENT, DONE, SKIPPED, MISSED, FAILED, CANCELLED})


class Origin:
    """What made a touchpoint. A replan reconciles only the rows of its own origin."""

    PLAYBOOK_STEP = "playbook_step"
    MAINTENANCE = "maintenance"
    VISIT = "visit"
    INCIDENT_RECOVERY = "incident_recovery"
    FOLLOW_UP = "follow_up"
    NEWS = "news"
    REFERRAL = "referral"
    MANUAL = "manual"

    CHOICES = [
        (PLAYBOOK_STEP, "Playbook step"),
        (MAINTENANCE, "Maintenance reminder"),
        (VISIT, "Visit"),
        (INCIDENT_RECOVERY, "Recovery call"),
        (FOLLOW_UP, "Follow-up"),
        (NEWS, "News to share"),
        (REFERRAL, "Referral thank-you"),
        (MANUAL, "Added by hand"),
    ]
    ALL = frozenset(code for code, _ in CHOICES)
    # Everything a playbook replan must leave alone.
    NOT_PLAYBOOK = ALL - {PLAYBOOK_STEP}


class Reason:
    """Why a touchpoint moved or was skipped, missed or cancelled. Code decides, text shows:
    `moved_reason` keeps the detailed words for people, and nothing parses it."""

    NONE = ""
    CLOCK_CHANGE = "clock_change"
    QUIET_HOURS = "quiet_hours"
    BUSINESS_HOURS = "business_hours"
    CALL_HOURS = "call_hours"
    FREQUENCY_CAP = "frequency_cap"
    NEXT_FREE_TIME = "next_free_time"
    CATCH_UP_MISSED = "catch_up_missed"
    OUTSIDE_WINDOW = "outside_window"
    JOB_STARTED = "job_started"
    INCIDENT_OPEN = "incident_open"
    NO_CONSENT = "no_consent"
    NO_ADDRESS = "no_address"
    DROPPED_FROM_PLAN = "dropped_from_plan"
    ENGAGEMENT_CANCELLED = "engagement_cancelled"
    PLAN_STOPPED = "plan_stopped"
    SNOOZED = "snoozed"
    NO_ANSWER = "no_answer"
    CUSTOMER_ERASED = "customer_erased"
    BY_PERSON = "by_person"
    SEND_FAILED = "send_failed"

    CHOICES = [
        (NONE, "On time"),
        (CLOCK_CHANGE, "the clocks change that day"),
        (QUIET_HOURS, "out of quiet hours"),
        (BUSINESS_HOURS, "into business hours"),
        (CALL_HOURS, "into the customer's call hours"),
        (FREQUENCY_CAP, "by the contact budget"),
        (NEXT_FREE_TIME, "to the next time the customer may hear from us"),
        (CATCH_UP_MISSED, "too late to catch up"),
        (OUTSIDE_WINDOW, "too late to still make sense"),
        (JOB_STARTED, "the job had already started"),
        (INCIDENT_OPEN, "held back while a complaint is open"),
        (NO_CONSENT, "no consent"),
        (NO_ADDRESS, "no address to send to"),
        (DROPPED_FROM_PLAN, "no longer in the plan"),
        (ENGAGEMENT_CANCELLED, "the job was cancelled"),
        (PLAN_STOPPED, "the reminders were stopped"),
        (SNOOZED, "snoozed"),
        (NO_ANSWER, "no answer, trying again"),
        (CUSTOMER_ERASED, "customer erased"),
        (BY_PERSON, "changed by a person"),
        (SEND_FAILED, "could not be sent"),
    ]
    LABELS = dict(CHOICES)
    ALL = frozenset(LABELS)
    # A person chose the time: replanning keeps it.
    KEEP_TIME = frozenset({SNOOZED, NO_ANSWER})


class Touchpoint(models.Model):
    """One planned occurrence of a step for one engagement: the schedule and the outbox."""

    # No index of their own on business and customer: the (business, status, due_at) and
    # (customer, due_at) indexes below lead with them, and every index slows bulk planning.
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    # Null only for a personal touch about the customer rather than a job: a "Reply to …"
    # for someone who wrote in before any sale.
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="touchpoints")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="touchpoints",
                                 db_index=False)
    step = models.ForeignKey(Step, on_delete=models.SET_NULL, null=True, related_name="touchpoints")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    occurrence = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=100, unique=True)

    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=10, choices=kinds.CHOICES)
    stage = models.PositiveSmallIntegerField(choices=v.STAGE_CHOICES)
    element = models.CharField(max_length=20, choices=v.ELEMENT_CHOICES)
    purpose = models.CharField(max_length=15, choices=v.PURPOSE_CHOICES)

    status = models.CharField(max_length=10, choices=Status.CHOICES, default=Status.PLANNED)
    due_at = models.DateTimeField(help_text="When it is due, in UTC.")
    local_date = models.DateField(help_text="The business-local day the step asked for.")
    local_time = models.TimeField(help_text="The business-local time the step asked for.")
    moved_reason = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=20, choices=Origin.CHOICES, default=Origin.MANUAL)
    # No `choices` in the schema: a new code is a new constant in Reason, not a migration.
    # The lifecycle refuses codes it does not know.
    reason_code = models.CharField(max_length=24, blank=True)
    # Higher comes first on Today: a recovery call for an unhappy customer outranks a card.
    priority = models.SmallIntegerField(default=0)
    # The key of every customer-facing link about this touchpoint (survey, review redirect).
    link_token = models.CharField(max_length=32, unique=True, default=new_public_id,
                                  editable=False)

    lease_until = models.DateTimeField(null=True, blank=True)
    # The claim token of the worker pass that holds the lease; a late write from a pass whose
    # lease expired (and whose row was reclaimed) is recognised and dropped.
    claimed_by = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(max_length=2000, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    rendered_subject = models.CharField(max_length=300, blank=True)
    rendered_body = models.TextField(blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    outcome_note = models.TextField(max_length=2000, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The worker's due-rows query reads only planned automated rows, so sent and done
            # history never slows it down however large it grows.
            models.Index(
                fields=["due_at"],
                name="touchpoint_due_automated",
                condition=models.Q(status="planned", channel__in=["email", "sms"]),
            ),
            # Fair claiming asks, per business, for its oldest due row: one index seek each.
            models.Index(
                fields=["business", "due_at"],
                name="touchpoint_due_by_business",
                condition=models.Q(status="planned", channel__in=["email", "sms"]),
            ),
            models.Index(
                fields=["lease_until"],
                name="touchpoint_sending_lease",
                condition=models.Q(status="sending"),
            ),
            # Today and the agenda by status and time; with the stage last it also covers
            # Insights' per-stage outcomes, so those counts never read the table.
            models.Index(fields=["business", "status", "due_at", "stage"],
                         name="touchpoint_business_status_due"),
            models.Index(fields=["customer", "due_at"]),
            # The API's touchpoint list pages a business's rows by (due_at, id): read in
            # order from here, not sorted after reading every row of the business.
            models.Index(fields=["business", "due_at", "id"], name="touchpoint_business_due"),
            # The newest change per business: Insights' cache key and its rollups' change
            # detection. Declared here (not as raw SQL in insights) because SQLite rebuilds
            # the table for many field changes and keeps only the indexes Django knows.
            models.Index(fields=["business", "updated_at"], name="touchpoint_business_updated"),
            # Feedback requests and maintenance reminders are counted from Insights' own
            # rollup (insights.TouchRollup), so no index here is paid on every planned row.
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.customer_id} at {self.due_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_automated(self) -> bool:
        return kinds.is_automated(self.channel)

    @property
    def is_open(self) -> bool:
        return self.status == Status.PLANNED

    @property
    def reason_text(self) -> str:
        """The words for people: the detailed note when there is one, else the code's label."""
        if self.moved_reason:
            return self.moved_reason
        return Reason.LABELS.get(self.reason_code, "") if self.reason_code else ""


# Scale-out: several workers on one database ----------------------------------------------

class WorkerHeartbeat(models.Model):
    """One row per running `followthrough worker` process, written after every pass, so
    monitoring can tell a live worker from a dead one (/healthz, docs/operations.md)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_beat = models.DateTimeField(db_index=True)
    passes = models.PositiveBigIntegerField(default=0)
    sent_total = models.PositiveBigIntegerField(default=0)
    # The counts of the last pass that did something (claimed, sent, retried, ...).
    last_pass = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class Lease(models.Model):
    """A named lock with an expiry, for work that one worker of many should do at a time
    (the minute's periodic jobs, the daily archive). Taken with a conditional update, so a
    holder that died simply lets it run out."""

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class SendBudget(models.Model):
    """A token bucket shared by every worker: `install` for the whole install, `business:<id>`
    per business. Only used when a send-rate limit is set."""

    key = models.CharField(max_length=64, unique=True)
    tokens = models.FloatField(default=0)
    refilled_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
