import secrets

from django.conf import settings
from django.db import models

from followthrough.playbooks.models import Playbook
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class ImportJob(models.Model):
    """One uploaded file on its way in: read and checked in the background, mapped and
    previewed from what that read stored, then imported row by row."""

    CUSTOMERS = "customers"
    SALES = "sales"
    KINDS = [(CUSTOMERS, "Customers"), (SALES, "Sales, jobs or orders")]

    READING = "reading"
    MAPPING = "mapping"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUSES = [(READING, "Reading"), (MAPPING, "Mapping"), (QUEUED, "Waiting"),
                (RUNNING, "Importing"), (DONE, "Done"), (FAILED, "Failed")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=10, choices=KINDS, default=CUSTOMERS)
    filename = models.CharField(max_length=200)
    data = models.BinaryField()
    detected_format = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict)
    # What the background read found, so the review page never reads the file again: the
    # header row, and {valid, error_count, errors (the first 200), sample (10 rows)}.
    headers = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    playbook = models.ForeignKey(Playbook, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    status = models.CharField(max_length=10, choices=STATUSES, default=MAPPING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    engagements = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)  # rows left out
    kept_count = models.PositiveIntegerField(default=0)  # rows imported without a bad value
    errors = models.JSONField(default=list)
    message = models.CharField(max_length=300, blank=True)
    # The worker that reads or imports the file holds it until then (see imports.py).
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


class WebhookEndpoint(models.Model):
    """Where domain events go: a signed JSON webhook, or a Slack/Mattermost channel."""

    SIGNED = "signed"
    SLACK = "slack"
    MATTERMOST = "mattermost"
    FORMATS = [(SIGNED, "Signed JSON webhook"), (SLACK, "Slack"), (MATTERMOST, "Mattermost")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    format = models.CharField(max_length=12, choices=FORMATS, default=SIGNED)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=80, default=new_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def is_notification(self) -> bool:
        return self.format != self.SIGNED


class WebhookDelivery(models.Model):
    """One event for one endpoint: the queue and the delivery log."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUSES = [(PENDING, "Pending"), (DELIVERED, "Delivered"), (FAILED, "Failed")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


class InboundSource(models.Model):
    """A business's inbound sales webhook: a 128-bit URL token plus the provider's secret."""

    GENERIC = "generic"
    STRIPE = "stripe"
    SHOPIFY = "shopify"
    PROVIDERS = [(GENERIC, "Generic JSON"), (STRIPE, "Stripe"), (SHOPIFY, "Shopify")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    token = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    provider = models.CharField(max_length=10, choices=PROVIDERS)
    # Stripe's endpoint signing secret and Shopify's app secret are theirs to give us; the
    # generic secret is ours. All are needed in clear to check signatures (see docs).
    secret = models.CharField(max_length=200, default=new_secret)
    playbook = models.ForeignKey(Playbook, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.provider} for {self.business_id}"
