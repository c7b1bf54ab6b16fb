from django.db import models

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
