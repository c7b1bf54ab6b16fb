import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from followthrough.channels import kinds
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business
from followthrough.text import clean_fields
from followthrough.tokens import new_public_id
from followthrough.touchpoints.models import Touchpoint


class Preference(models.Model):
    """One user's agenda settings in one business: calendar feed and morning digest."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    # The secret of /cal/<token>.ics; empty while the feed is switched off.
    feed_token = models.CharField(max_length=32, null=True, blank=True, unique=True)
    digest_enabled = models.BooleanField("Send me a morning digest", default=True)
    digest_time = models.TimeField("Digest time", default=dt.time(7, 30))
    digest_sent_on = models.DateField(null=True, blank=True)
    # When a calendar app last fetched the feed: "Connect your calendar" is done once it has.
    feed_fetched_at = models.DateTimeField(null=True, blank=True)
    # When this person put the getting-started checklist away.
    checklist_dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "user"], name="one_agenda_pref_per_user")
        ]

    def __str__(self) -> str:
        return f"Agenda preferences of {self.user} at {self.business}"


class Promise(models.Model):
    OPEN, KEPT, BROKEN = "open", "kept", "broken"
    STATUS_CHOICES = [(OPEN, "Open"), (KEPT, "Kept"), (BROKEN, "Broken")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="promises")
    what = models.CharField("What you promised", max_length=300)
    due_on = models.DateField("By when")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    honest_note = models.TextField(max_length=2000, blank=True)
    make_good = models.CharField(max_length=300, blank=True)
    overdue_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["business", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.what} (by {self.due_on})"

    def save(self, *args, **kwargs):
        # The last line of defence for the API and imports; forms refuse these outright.
        clean_fields(self, lines=("what", "make_good"), texts=("honest_note",))
        super().save(*args, **kwargs)


class ServiceInterval(models.Model):
    """A product or service that comes round again: a boiler service, filters, a reorder."""

    WEEKS, MONTHS = "weeks", "months"
    UNIT_CHOICES = [(WEEKS, "weeks"), (MONTHS, "months")]
    CHANNEL_CHOICES = [(kinds.CARD, "Postcard"), (kinds.EMAIL, "Email"), (kinds.SMS, "Text"),
                       (kinds.CALL, "Phone call")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=120, help_text="For example: Boiler service.")
    every = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(120)], default=12
    )
    unit = models.CharField(max_length=10, choices=UNIT_CHOICES, default=MONTHS)
    lead_days = models.PositiveSmallIntegerField(
        "Remind this many days before", default=14, validators=[MaxValueValidator(365)]
    )
    channel = models.CharField(max_length=10, choices=CHANNEL_CHOICES, default=kinds.CARD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, every {self.every} {self.unit}"


class ServicePlan(models.Model):
    """An interval running for one delivered engagement; reminders come from it."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE,
                                   related_name="service_plans")
    interval = models.ForeignKey(ServiceInterval, on_delete=models.CASCADE, related_name="plans")
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "interval"],
                                    name="one_service_plan_per_interval")
        ]

    def __str__(self) -> str:
        return f"{self.interval} for {self.engagement}"


class CardBatch(models.Model):
    """Cards to write in one sitting: printed together, posted together."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    touchpoints = models.ManyToManyField(Touchpoint, related_name="card_batches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Card batch of {self.created_at:%Y-%m-%d}"


class Opportunity(models.Model):
    """The answer to "What else can we do for you?", kept until it is booked or let go."""

    OPEN, BOOKED, DROPPED = "open", "booked", "dropped"
    STATUS_CHOICES = [(OPEN, "Open"), (BOOKED, "Booked"), (DROPPED, "Let go")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opportunities")
    source = models.ForeignKey(Touchpoint, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    text = models.CharField("What they asked about", max_length=500)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text
