"""Send-rate limits: token buckets in the database (SendBudget), shared by every worker.

WORKER_MAX_SENDS_PER_SECOND caps the install, WORKER_BUSINESS_SENDS_PER_SECOND (and the
per-slug WORKER_BUSINESS_RATE_LIMITS) each business. The claim reads and spends them inside
its own transaction, so two workers never spend the same token."""

import datetime as dt
import math

from django.conf import settings

from followthrough.env import env_int, env_str
from followthrough.tenants.models import Business
from followthrough.touchpoints.models import SendBudget, Touchpoint


def _business_overrides() -> dict[str, int]:
    """WORKER_BUSINESS_RATE_LIMITS: "slug=per_second,slug=per_second", for the businesses
    whose provider allows more (or less) than WORKER_BUSINESS_SENDS_PER_SECOND."""
    raw = getattr(settings, "WORKER_BUSINESS_RATE_LIMITS", None)
    if raw is None:
        raw = env_str("WORKER_BUSINESS_RATE_LIMITS", "")
    overrides = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        slug, _, rate = item.partition("=")
        try:
            overrides[slug.strip()] = int(rate)
        except ValueError:
            raise ValueError(f"WORKER_BUSINESS_RATE_LIMITS: {item!r} is not slug=number") from None
    return overrides


def setting_int(name: str, default: int) -> int:
    """A worker setting: from Django settings when defined there, else the environment."""
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default)


class RateLimits:
    """Token buckets in the database (SendBudget), shared by every worker, read and spent
    inside the claim's transaction. A bucket holds at most one second of sends."""

    def __init__(self, now: dt.datetime, install: int, per_business: int,
                 overrides: dict[str, int]):
        self.now = now
        self.install = install
        self.per_business = bool(per_business or overrides)
        self.default_business = per_business
        self.overrides = overrides
        self.rates: dict[int, int] = {}
        self.buckets: dict[str, SendBudget] = {}
        self.granted: dict[int, int] = {}
        self.throttled = False

    @classmethod
    def load(cls, now: dt.datetime) -> "RateLimits":
        limits = cls(now, setting_int("WORKER_MAX_SENDS_PER_SECOND", 0),
                     setting_int("WORKER_BUSINESS_SENDS_PER_SECOND", 0), _business_overrides())
        if limits.overrides:
            slugs = Business.objects.filter(slug__in=limits.overrides).values_list("id", "slug")
            limits.rates = {pk: limits.overrides[slug] for pk, slug in slugs}
        return limits

    def bucket(self, key: str, rate: int) -> SendBudget:
        if key not in self.buckets:
            budget, _ = SendBudget.objects.get_or_create(
                key=key, defaults={"tokens": rate, "refilled_at": self.now})
            budget = SendBudget.objects.select_for_update().get(pk=budget.pk)
            elapsed = max(0.0, (self.now - budget.refilled_at).total_seconds())
            budget.tokens = min(float(rate), budget.tokens + elapsed * rate)
            budget.refilled_at = max(self.now, budget.refilled_at)
            self.buckets[key] = budget
        return self.buckets[key]

    def install_allowance(self, limit: int) -> int:
        if self.install <= 0:
            return limit
        allowed = min(limit, math.floor(self.bucket("install", self.install).tokens))
        self.throttled = self.throttled or allowed < limit
        return allowed

    def business_allowance(self, business_id: int, taken: int) -> int:
        rate = self.rates.get(business_id, self.default_business)
        if rate <= 0:
            return 1 << 30
        left = math.floor(self.bucket(f"business:{business_id}", rate).tokens) - taken
        if left <= 0:
            self.throttled = True
        return max(0, left)

    def spend(self, ids: list[int]) -> None:
        if not self.buckets:
            return
        if "install" in self.buckets:
            self.buckets["install"].tokens -= len(ids)
        if ids and self.per_business:
            counts: dict[int, int] = {}
            for business_id in Touchpoint.objects.filter(id__in=ids).values_list(
                    "business_id", flat=True):
                counts[business_id] = counts.get(business_id, 0) + 1
            for business_id, count in counts.items():
                budget = self.buckets.get(f"business:{business_id}")
                if budget:
                    budget.tokens -= count
        for budget in self.buckets.values():
            budget.save(update_fields=["tokens", "refilled_at"])


def throttle_pause() -> float:
    """How long to wait for a send-rate bucket to gain a token: a tenth of a second to one."""
    rates = [rate for rate in (setting_int("WORKER_MAX_SENDS_PER_SECOND", 0),
                               setting_int("WORKER_BUSINESS_SENDS_PER_SECOND", 0)) if rate > 0]
    return min(1.0, max(0.1, 1.0 / min(rates))) if rates else 0.2
