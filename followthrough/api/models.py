import hashlib
import secrets

from django.db import models

from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id

KEY_PREFIX = "ft_"


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A bearer key for one business. Only its hash is stored; the key is shown once."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="api_keys")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    # Requests per minute; None uses API_RATE_LIMIT_PER_MINUTE.
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, business: Business, name: str,
              rate_limit: int | None = None) -> tuple["ApiKey", str]:
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            business=business, name=name, prefix=raw[:10], key_hash=hash_key(raw),
            rate_limit=rate_limit,
        )
        return key, raw
