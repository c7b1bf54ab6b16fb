import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from followthrough import vocabulary as v
from followthrough.channels import kinds
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id


class Playbook(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="playbooks")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["business", "slug"], name="playbook_slug_per_business")
        ]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """One reusable move in a playbook, anchored on a lifecycle event of the engagement."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    anchor = models.CharField(max_length=12, choices=v.ANCHOR_CHOICES, default=v.WON)
    offset_days = models.SmallIntegerField(
        default=0, validators=[MinValueValidator(-365), MaxValueValidator(3650)]
    )
    offset_hours = models.SmallIntegerField(
        default=0, validators=[MinValueValidator(-23), MaxValueValidator(23)]
    )
    local_time = models.TimeField(default=dt.time(10, 0))
    repeat_every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    repeat_until = models.CharField(max_length=12, choices=v.UNTIL_CHOICES, blank=True)
    channel = models.CharField(max_length=10, choices=kinds.CHOICES, default=kinds.EMAIL)
    stage = models.PositiveSmallIntegerField(choices=v.STAGE_CHOICES, default=4)
    element = models.CharField(max_length=20, choices=v.ELEMENT_CHOICES, default=v.OTHER)
    purpose = models.CharField(max_length=15, choices=v.PURPOSE_CHOICES, default=v.RELATIONSHIP)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=10000, blank=True)
    # Empty: the element's default (playbooks/planner.py WINDOW_DAYS and PRIORITY).
    window_days = models.PositiveSmallIntegerField(
        "Still makes sense for (days)", null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
        help_text="How many days late this can still go out; later than that it is skipped. "
                  "Leave empty for the usual for its element.",
    )
    priority = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(99)],
        help_text="When two touches come too close, the higher one keeps its day. Leave "
                  "empty for the usual: thank-you calls and cards first, referral asks last.",
    )
    requires_approval = models.BooleanField(
        "Approve before send", default=False,
        help_text="Each message waits on Today until someone approves, edits or skips it.",
    )

    class Meta:
        ordering = ["playbook", "position", "id"]

    def __str__(self) -> str:
        return f"{self.playbook}: {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.repeat_every_days and not self.repeat_until:
            errors["repeat_until"] = "Say which event ends the repetition."
        if self.repeat_until and not self.repeat_every_days:
            errors["repeat_every_days"] = "Say how many days apart the repeats are."
        if self.channel == kinds.EMAIL and not self.subject.strip():
            errors["subject"] = "An email needs a subject."
        if kinds.is_automated(self.channel) and not self.body.strip():
            errors["body"] = "An automated message needs a body."
        from followthrough.playbooks.fairness import problems  # fair reviews: refuse gating

        errors = {**problems(self.element, self.subject, self.body), **errors}
        if errors:
            raise ValidationError(errors)
