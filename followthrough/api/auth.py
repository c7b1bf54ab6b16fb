"""Bearer API keys. A key belongs to one business; every route loads objects through it."""

import datetime as dt
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from ninja.security import HttpBearer

from followthrough.api.errors import ApiError
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
        check_rate(key)
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key


class RateLimited(ApiError):
    def __init__(self, retry_after: int):
        super().__init__(429, "Authorization",
                         f"Too many requests for this key; try again in {retry_after} seconds.")
        self.retry_after = retry_after


def check_rate(key: ApiKey) -> None:
    """A fixed one-minute window per key, counted in Django's cache. With several server
    processes, configure a shared cache (see docs/api.md) or each counts on its own."""
    limit = key.rate_limit or settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // 60)
    name = f"api-rate:{key.pk}:{window}"
    if cache.add(name, 1, timeout=90):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=90)
            count = 1
    if count > limit:
        raise RateLimited(max(1, int(60 - now % 60)))


def business_of(request):
    """The business of the key that authenticated this request."""
    return request.auth.business
