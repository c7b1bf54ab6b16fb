import datetime as dt
import functools
import zoneinfo
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from followthrough.crypto import EncryptedTextField
from followthrough.text import clean_fields, clean_line
from followthrough.tokens import new_public_id


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "%(value)s is not an IANA time zone; use a name such as Europe/London.",
            params={"value": value},
        ) from None


DEFAULT_BRAND_COLOUR = "#1f5f8b"
# A button's white text needs 4.5:1 against the brand colour (WCAG AA for normal text).
MIN_CONTRAST_WITH_WHITE = 4.5
brand_colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Use a colour code such as #1f5f8b: # and six hex digits."
)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of white text on `colour` (#rrggbb)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)
    return 1.05 / (luminance + 0.05)


def validate_brand_colour(value: str) -> None:
    brand_colour_validator(value)
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST_WITH_WHITE:
        raise ValidationError(
            "White text on %(value)s is hard to read (contrast %(ratio).1f:1; it needs 4.5:1). "
            "Choose a darker colour.", params={"value": value, "ratio": ratio},
        )


def safe_brand_colour(value: str) -> str:
    """The colour if it is a valid, readable #rrggbb, else the default: the layout never
    trusts what reached the database some other way (the admin, a script)."""
    try:
        validate_brand_colour(value)
    except ValidationError:
        return DEFAULT_BRAND_COLOUR
    return value.lower()


business_days_validator = RegexValidator(
    r"^[1-7]{0,7}$", "Use the digits 1 (Monday) to 7 (Sunday), for example 12345."
)


@functools.lru_cache(maxsize=1024)
def from_header(name: str, address: str) -> str:
    """The From: header for a display name and an address. Cached: the worker asks for it
    for every message, and a few businesses send them all."""
    return formataddr((clean_line(name), clean_line(address)))


# Text fields that must stay on one line (they land in headers, CSV cells and logs).
ONE_LINE_FIELDS = ("name", "timezone", "country", "sender_name", "sender_email",
                   "reply_to_email", "phone", "website", "business_days", "logo_url",
                   "brand_colour", "sms_account_sid", "sms_from_number")


class Business(models.Model):
    """The tenant. Every tenant-owned row carries a foreign key to it."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # ISO 3166 code (GB, US): phone numbers written without + are read as this country's.
    country = models.CharField(max_length=2, blank=True)
    sender_name = models.CharField(max_length=120, blank=True)
    sender_email = models.EmailField(blank=True)
    reply_to_email = models.EmailField(blank=True)
    postal_address = models.TextField(
        max_length=500, blank=True, help_text="Printed in the footer of every relationship email."
    )
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    # The email layout's brand (docs/email.md): a logo on the web and a colour for the
    # header band and buttons.
    logo_url = models.URLField(
        max_length=500, blank=True,
        help_text="The address of your logo image (https), shown at the top of every email.",
    )
    brand_colour = models.CharField(
        max_length=7, default=DEFAULT_BRAND_COLOUR, validators=[validate_brand_colour],
        help_text="The colour of your emails' header and buttons, such as #1f5f8b. White "
                  "text must be readable on it.",
    )
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
    # The contact-pressure budget (docs/agenda.md).
    cap_includes_personal = models.BooleanField(
        default=True,
        help_text="Calls, cards and visits count toward the frequency cap too, so a customer "
                  "never gets a call and an email on the same day.",
    )
    call_window_start = models.TimeField(
        default=dt.time(9, 0), help_text="Calls and texts only from this time…"
    )
    call_window_end = models.TimeField(
        default=dt.time(20, 0), help_text="…until this one, in the customer's own time zone."
    )
    # GDPR retention: 0 keeps everything. See docs/security.md.
    retention_touchpoint_days = models.PositiveIntegerField(
        default=0,
        help_text="Clear the text of sent and finished messages older than this many days; "
                  "0 keeps them.",
    )
    retention_feedback_days = models.PositiveIntegerField(
        default=0,
        help_text="Clear customers' written feedback older than this many days; 0 keeps it.",
    )
    # Texts through the business's own Twilio account (docs/operations.md, "Text messages").
    # The TWILIO_* environment variables, when set, override all three.
    sms_account_sid = models.CharField(max_length=64, blank=True)
    sms_auth_token = EncryptedTextField(blank=True)
    sms_from_number = models.CharField(max_length=20, blank=True)
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
    def phone_region(self) -> str:
        """The country whose numbers may be written without +: the one chosen in settings,
        else the time zone's country, else that of the business's own phone number."""
        from followthrough.phones import region_of
        from followthrough.tenants.places import country_of_zone

        return self.country or country_of_zone(self.timezone) or region_of(self.phone)

    @property
    def from_email(self) -> str:
        # formataddr quotes the display name, so "Sam, <x@evil>" stays one name and can't
        # add an address to From:.
        return from_header(self.sender_name or self.name,
                           self.sender_email or settings.DEFAULT_FROM_EMAIL)

    def save(self, *args, **kwargs):
        clean_fields(self, lines=ONE_LINE_FIELDS, texts=("postal_address",))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.business_hours_end <= self.business_hours_start:
            raise ValidationError(
                {"business_hours_end": "Business hours must end after they start."}
            )
        if self.quiet_hours_start == self.quiet_hours_end:
            raise ValidationError(
                {"quiet_hours_end": "Quiet hours must not start and end at the same time."}
            )
        if self.call_window_end <= self.call_window_start:
            raise ValidationError(
                {"call_window_end": "Call and text hours must end after they start."}
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
    # Their own mobile, in E.164: where "Send me a test text" goes.
    mobile = models.CharField(max_length=20, blank=True)
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
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


# ---- security (issue 8): members, invitations, the audit log, public rate limits ----


class Invitation(models.Model):
    """An owner's invitation to join a business. The emailed link is a signed, expiring
    token naming this row; accepting it once uses it up."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.ROLES, default=Membership.STAFF)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.role}) to {self.business}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def save(self, *args, **kwargs):
        clean_fields(self, lines=("email",))
        super().save(*args, **kwargs)


class AuditEntry(models.Model):
    """Who changed what, when and from where. Written by tenants.audit.record()."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # Kept when the user is later deleted, so the log still says who it was.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["business", "-at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"

    def save(self, *args, **kwargs):
        # The summary often quotes a name; the log is read line by line.
        clean_fields(self, lines=("actor_label", "summary", "target_type", "target_id"))
        super().save(*args, **kwargs)


class RateCounter(models.Model):
    """Requests per client and window on the public links; a table rather than the cache
    so the count holds across every gunicorn worker without extra set-up."""

    key = models.CharField(max_length=200, unique=True)
    window = models.BigIntegerField(db_index=True)
    count = models.PositiveIntegerField(default=0)
