import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "%(value)s is not an IANA time zone; use a name such as Europe/London.",
            params={"value": value},
        ) from None


business_days_validator = RegexValidator(
    r"^[1-7]{0,7}$", "Use the digits 1 (Monday) to 7 (Sunday), for example 12345."
)


class Business(models.Model):
    """The tenant. Every tenant-owned row carries a foreign key to it."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    sender_name = models.CharField(max_length=120, blank=True)
    sender_email = models.EmailField(blank=True)
    reply_to_email = models.EmailField(blank=True)
    postal_address = models.TextField(
        max_length=500, blank=True, help_text="Printed in the footer of every relationship email."
    )
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    business_days = models.CharField(
        max_length=7, default="12345", validators=[business_days_validator],
        help_text="Days you make calls and visits: 1 is Monday, 7 is Sunday.",
    )
    business_hours_start = models.TimeField(default=dt.time(9, 0))
    business_hours_end = models.TimeField(default=dt.time(17, 0))
    quiet_hours_start = models.TimeField(
        default=dt.time(20, 0), help_text="No email or text goes out after this local time…"
    )
    quiet_hours_end = models.TimeField(default=dt.time(8, 0), help_text="…until this one.")
    catch_up_days = models.PositiveSmallIntegerField(
        default=2,
        help_text="A message more than this many days late is marked missed instead of sent.",
    )
    frequency_cap_days = models.PositiveSmallIntegerField(
        default=2, help_text="At most one automated message per customer in this many days."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "businesses"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def from_email(self) -> str:
        address = self.sender_email or settings.DEFAULT_FROM_EMAIL
        return f"{self.sender_name or self.name} <{address}>"

    def clean(self) -> None:
        if self.business_hours_end <= self.business_hours_start:
            raise ValidationError(
                {"business_hours_end": "Business hours must end after they start."}
            )
        if self.quiet_hours_start == self.quiet_hours_end:
            raise ValidationError(
                {"quiet_hours_end": "Quiet hours must not start and end at the same time."}
            )
        if not self.business_days:
            raise ValidationError({"business_days": "Choose at least one business day."})


class Membership(models.Model):
    OWNER = "owner"
    STAFF = "staff"
    ROLES = [(OWNER, "Owner"), (STAFF, "Staff")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=ROLES, default=STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.business}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.OWNER
