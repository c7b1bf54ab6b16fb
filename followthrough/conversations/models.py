"""A conversation per customer: the messages that came in (texts, emails) and the replies
the business wrote back from the customer's page, and the Message-IDs we sent, so that an
email reply finds its way back to its customer and job."""

from django.db import models

from followthrough.channels import kinds
from followthrough.crypto import EncryptedTextField
from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business
from followthrough.text import clean_fields
from followthrough.tokens import new_public_id
from followthrough.touchpoints.models import Touchpoint

# What we keep of one message's text; the rest is cut, and the row says so.
BODY_LIMIT = 20_000


class Message(models.Model):
    IN, OUT = "in", "out"
    DIRECTIONS = [(IN, "From the customer"), (OUT, "To the customer")]
    CHANNELS = [(kinds.EMAIL, "Email"), (kinds.SMS, "Text")]
    # An automatic answer is filed apart: it is not the customer talking.
    NOT_AUTOMATIC, AUTO_REPLY, BOUNCE = "", "auto_reply", "bounce"
    AUTOMATIC = [(NOT_AUTOMATIC, "Written by a person"), (AUTO_REPLY, "Automatic reply"),
                 (BOUNCE, "Bounce")]
    # How an inbound message found its customer.
    BY_THREAD, BY_ADDRESS, BY_PHONE, BY_HAND = "thread", "address", "phone", "hand"
    MATCHES = [("", "Not matched"), (BY_THREAD, "Reply to our message"),
               (BY_ADDRESS, "Email address"), (BY_PHONE, "Phone number"),
               (BY_HAND, "Attached by hand")]

    # Null only when nothing tells which business a message is for (an unknown number on an
    # install with several businesses): it is kept, never dropped, and logged.
    business = models.ForeignKey(Business, on_delete=models.CASCADE, null=True,
                                 related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="messages")
    engagement = models.ForeignKey(Engagement, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    # Inbound: the message of ours it answers; outbound: the touchpoint that sends it.
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id,
                                 editable=False)
    direction = models.CharField(max_length=3, choices=DIRECTIONS)
    channel = models.CharField(max_length=10, choices=CHANNELS)
    # "address" in the name: privacy's erasure clears fields named like personal data.
    from_address = models.CharField(max_length=254, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    # Threading: the email's Message-ID (a text's provider id), In-Reply-To and References.
    message_id = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(max_length=2000, blank=True)
    received_at = models.DateTimeField()
    automatic = models.CharField(max_length=12, choices=AUTOMATIC, blank=True,
                                 default=NOT_AUTOMATIC)
    matched_by = models.CharField(max_length=8, choices=MATCHES, blank=True)
    # The reading (reading.py): which rule called it a complaint, or "".
    complaint_reason = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            # A provider that retries a webhook must not make the message twice.
            models.UniqueConstraint(
                fields=["business", "channel", "message_id"],
                condition=models.Q(direction="in") & ~models.Q(message_id=""),
                name="inbound_message_once"),
        ]
        indexes = [models.Index(fields=["customer", "received_at"]),
                   models.Index(fields=["business", "direction", "received_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} by {self.channel} at {self.received_at}"

    def save(self, *args, **kwargs):
        clean_fields(self, lines=("from_address", "recipient", "subject", "message_id",
                                  "in_reply_to", "references"), texts=("body",))
        super().save(*args, **kwargs)

    @property
    def is_automatic(self) -> bool:
        return bool(self.automatic)

    @property
    def preview(self) -> str:
        """The body on one line, for lists and the digest."""
        return " ".join(self.body[:1000].split())

    @property
    def is_complaint(self) -> bool:
        return bool(self.complaint_reason)


class Attachment(models.Model):
    """A file that came with an inbound email, kept up to the limits in services.py. Served
    only to signed-in members of the message's business, always as a download."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, null=True,
                                 related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id,
                                 editable=False)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    data = models.BinaryField()

    def save(self, *args, **kwargs):
        clean_fields(self, lines=("filename", "content_type"))
        super().save(*args, **kwargs)


class SentMessage(models.Model):
    """The Message-ID of an email we sent, and its touchpoint: written when the touchpoint
    is sent (receivers.remember_sent), read when a reply names it in In-Reply-To."""

    message_id = models.CharField(max_length=300, unique=True)
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.message_id


# The only hosts a mailbox may be read from without encryption: this machine.
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class Mailbox(models.Model):
    """A business's own mailbox, read over IMAP by the worker (mailbox.py): for a business
    whose replies land in a plain mailbox rather than at a provider's inbound webhook.

    The password is kept encrypted (followthrough.crypto). The worker claims a mailbox with a
    conditional update on lease_until, so two workers never read it at the same time."""

    SSL, STARTTLS, PLAIN = "ssl", "starttls", "plain"
    SECURITY = [(SSL, "SSL/TLS (usually port 993)"), (STARTTLS, "STARTTLS (usually port 143)"),
                (PLAIN, "None: only for a mail server on this machine")]

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="+")
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=SECURITY, default=SSL)
    username = models.CharField(max_length=254)
    password = EncryptedTextField(blank=True)
    folder = models.CharField(max_length=200, default="INBOX")
    enabled = models.BooleanField(default=True)
    # The worker's bookkeeping, shown on the settings page.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    received_total = models.PositiveIntegerField(default=0)
    # The last message that could not be taken (it stays in the mailbox, marked read).
    last_problem = models.CharField(max_length=400, blank=True)
    last_problem_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.username} at {self.host}"

    @property
    def failing(self) -> bool:
        """Switched on, and the last try failed."""
        return bool(self.enabled and self.last_error_at and (
            not self.last_success_at or self.last_error_at > self.last_success_at))

    def save(self, *args, **kwargs):
        clean_fields(self, lines=("host", "username", "folder", "last_error", "last_problem"))
        super().save(*args, **kwargs)
