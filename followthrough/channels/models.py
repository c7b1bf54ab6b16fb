from django.db import models
from django.utils import timezone

from followthrough.tokens import new_public_id


class OutboxMessage(models.Model):
    """An email kept by the demo outbox backend instead of being delivered."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    business_slug = models.CharField(max_length=50, blank=True, db_index=True)
    message_id = models.CharField(max_length=200, blank=True)
    from_email = models.CharField(max_length=300)
    to = models.TextField()
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    raw = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class QueuedMail(models.Model):
    """An email written during a web request (an owner's alert, a subscribe confirmation,
    an invitation, a password reset), queued in the request's transaction and sent by the
    worker with retries (mailqueue.py), so a slow or refusing mail server never fails or
    holds the page. `business` is empty for system mail (invitations, password resets)."""

    QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
    STATUSES = [(QUEUED, "Queued"), (SENDING, "Sending"), (SENT, "Sent"), (FAILED, "Failed")]

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    business = models.ForeignKey("tenants.Business", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+")
    kind = models.CharField(max_length=40, help_text="What it is: incident_alert, invitation…")
    from_email = models.CharField(max_length=300)
    to = models.TextField(help_text="Recipients, one per line.")
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    # Extra headers, set when queued: the Message-ID on the business's domain, the business
    # (so its Outbox shows the mail), and the test marker of "Send me a test".
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="queuedmail_due")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"

    @property
    def recipients(self) -> list[str]:
        return [line for line in self.to.splitlines() if line]
