"""Bearer API keys. A key belongs to one business; every route loads objects through it."""

import datetime as dt

from django.utils import timezone
from ninja.security import HttpBearer

from followthrough.api.models import ApiKey, hash_key

# Writing last_used_at on every request would turn each read into a write; once a minute
# is enough to tell a live key from a forgotten one.
TOUCH_EVERY = dt.timedelta(minutes=1)
MAX_KEY_LENGTH = 200


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token: str) -> ApiKey | None:
        if not token or len(token) > MAX_KEY_LENGTH:
            return None
        key = (
            ApiKey.objects.select_related("business")
            .filter(key_hash=hash_key(token), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key


def business_of(request):
    """The business of the key that authenticated this request."""
    return request.auth.business
