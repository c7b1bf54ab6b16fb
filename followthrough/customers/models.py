from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.playbooks.models import Playbook
from followthrough.tenants.models import Business, validate_timezone
from followthrough.text import clean_fields
from followthrough.tokens import new_public_id

PREFERRED_CHANNEL_CHOICES = [(kinds.EMAIL, "Email"), (kinds.SMS, "Text message")]


CUSTOMER_LINES = ("external_id", "name", "email", "phone", "tags", "timezone", "referral_code")
CUSTOMER_TEXTS = ("postal_address", "notes", "defining_moment")
ENGAGEMENT_LINES = ("external_id", "kind", "description")


class Customer(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="customers")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(
        max_length=32, blank=True, help_text="International format, e.g. +44 20 7946 0958."
    )
    postal_address = models.TextField(max_length=500, blank=True)
    preferred_channel = models.CharField(
        max_length=10, choices=PREFERRED_CHANNEL_CHOICES, default=kinds.EMAIL
    )
    notes = models.TextField(max_length=5000, blank=True)
    defining_moment = models.TextField(
        max_length=1000, blank=True, help_text="Why they chose you, in their words if you can."
    )
    tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    timezone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone],
        help_text="Leave blank to use the business's time zone.",
    )
    # Set while an incident is open: marketing waits until the customer is happy again.
    marketing_hold = models.BooleanField(default=False)
    referral_code = models.CharField(max_length=32, null=True, blank=True)
    referred_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="customer_external_id_per_business",
            ),
            models.UniqueConstraint(
                fields=["business", "referral_code"],
                condition=models.Q(referral_code__isnull=False),
                name="customer_referral_code_per_business",
            ),
        ]
        indexes = [models.Index(fields=["business", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    def save(self, *args, **kwargs):
        # The last line of defence for imports, webhooks and other entrances: the forms
        # and the API refuse control characters with a field error before this.
        clean_fields(self, lines=CUSTOMER_LINES, texts=CUSTOMER_TEXTS)
        super().save(*args, **kwargs)


class Engagement(models.Model):
    """One sale, job, order or project of a customer."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="engagements")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="engagements")
    playbook = models.ForeignKey(
        Playbook, on_delete=models.PROTECT, related_name="engagements", null=True, blank=True
    )
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    kind = models.CharField(max_length=60, blank=True, help_text="Job, order, project…")
    description = models.CharField(max_length=300, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    won_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-won_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="engagement_external_id_per_business",
            )
        ]

    def __str__(self) -> str:
        return self.description or self.kind or "Engagement"

    def save(self, *args, **kwargs):
        clean_fields(self, lines=ENGAGEMENT_LINES)
        super().save(*args, **kwargs)

    def event_dates(self) -> dict:
        return {
            v.WON: self.won_at,
            v.STARTED: self.started_at,
            v.DELIVERED: self.delivered_at,
            v.CLOSED: self.closed_at,
            v.CANCELLED: self.cancelled_at,
        }

    @property
    def stage(self) -> int:
        if self.delivered_at:
            return 4
        if self.started_at:
            return 3
        return 1

    @property
    def status_label(self) -> str:
        if self.cancelled_at:
            return "Cancelled"
        if self.closed_at:
            return "Closed"
        if self.delivered_at:
            return "Delivered"
        if self.started_at:
            return "In progress"
        return "Won"

    def clean(self) -> None:
        errors = {}
        order = [("started_at", "started"), ("delivered_at", "delivered"), ("closed_at", "closed")]
        for field, label in order:
            value = getattr(self, field)
            if value and self.won_at and value < self.won_at:
                errors[field] = f"The {label} date cannot be before the won date."
        if self.started_at and self.delivered_at and self.delivered_at < self.started_at:
            errors["delivered_at"] = "The delivered date cannot be before the started date."
        if self.delivered_at and self.closed_at and self.closed_at < self.delivered_at:
            errors["closed_at"] = "The closed date cannot be before the delivered date."
        if errors:
            raise ValidationError(errors)


class ConsentEvent(models.Model):
    """The consent ledger: append-only; the newest event per channel and purpose wins."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=10, choices=kinds.CHOICES)
    purpose = models.CharField(max_length=15, choices=v.PURPOSE_CHOICES)
    granted = models.BooleanField()
    source = models.CharField(
        max_length=60, help_text="Where it came from: form, unsubscribe link, import…"
    )
    note = models.CharField(max_length=300, blank=True)
    proof = models.TextField(
        max_length=2000, blank=True, help_text="What shows it: IP address, form, import file…"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "purpose", "-at"])]

    def save(self, *args, **kwargs):
        clean_fields(self, lines=("source", "note"), texts=("proof",))
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        return f"{self.customer} {verb} {self.purpose} {self.channel} ({self.source})"



class Suppression(models.Model):
    """A business's do-not-contact list, by address rather than by customer row: it holds
    even if the customer is deleted and imported again. Only a hash of the address is kept."""

    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    REASONS = [(UNSUBSCRIBED, "Unsubscribed"), (BOUNCED, "Bounced"), (COMPLAINED, "Complained")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    address_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=kinds.CHOICES)
    reason = models.CharField(max_length=20, choices=REASONS, default=UNSUBSCRIBED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "address_hash", "channel"], name="one_suppression_per_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address_hash[:12]}… ({self.reason})"
