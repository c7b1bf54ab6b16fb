"""CACHE_URL: local memory for one process, Django's Redis backend for several; and the API
rate limit and the Insights invalidation count in that one configured cache, so two server
processes see the same numbers.

The cross-process tests start real Python processes that share the local Redis
(127.0.0.1:6379, which CI runs as it runs PostgreSQL), each with its own client, under a key
prefix of their own so that runs never see each other's counts."""

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from followthrough import env
from followthrough.env import ConfigError, env_cache
from tests.conftest import skip_unless_ci

ROOT = Path(__file__).resolve().parent.parent

PROCESS = textwrap.dedent("""
    import json, sys, types
    import django
    from django.conf import settings
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": sys.argv[1]}}
    django.setup()
    from followthrough.api import auth
    from followthrough.insights import dashboard
    auth.time = types.SimpleNamespace(time=lambda: 1_800_000_030.0)  # one fixed minute
    key = types.SimpleNamespace(pk=7, rate_limit=5)
    refused = 0
    for _ in range(int(sys.argv[2])):
        try:
            auth.check_rate(key)
        except auth.RateLimited:
            refused += 1
    for _ in range(int(sys.argv[3])):
        dashboard.bump(42)
    print(json.dumps({"refused": refused,
                      "version": dashboard.cache.get(dashboard.version_key(42), 0)}))
""")


REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix():
    """A key prefix for this test in the local Redis, removed afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        skip_unless_ci(f"Redis is not reachable at {REDIS}")
    name = f"test-{secrets.token_hex(8)}"
    yield name
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def other_process(prefix, calls=0, bumps=0) -> dict:
    """One server process: its own interpreter, Django and Redis client."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                   "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROCESS, prefix, str(calls),
                           str(bumps)], env=environment, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_keeps_local_memory_without_a_cache_url(monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    assert env_cache("CACHE_URL") == {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def test_it_uses_djangos_redis_backend_for_a_redis_url(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(env.importlib.util, "find_spec", lambda name: object())
    assert env_cache("CACHE_URL") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0"}


def test_it_reads_several_urls_as_the_primary_then_replicas(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "rediss://cache-1:6380/0, redis://cache-2:6379/0")
    monkeypatch.setattr(env.importlib.util, "find_spec", lambda name: object())
    assert env_cache("CACHE_URL")["LOCATION"] == ["rediss://cache-1:6380/0",
                                                  "redis://cache-2:6379/0"]


def test_it_refuses_a_url_that_is_not_redis(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "memcached://127.0.0.1:11211")
    with pytest.raises(ConfigError, match="CACHE_URL must be a redis://"):
        env_cache("CACHE_URL")


def test_it_refuses_redis_when_the_package_is_missing(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(env.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="redis package is not installed"):
        env_cache("CACHE_URL")


def test_it_counts_the_api_rate_limit_across_processes(prefix):
    assert other_process(prefix, calls=3)["refused"] == 0
    assert other_process(prefix, calls=3)["refused"] == 1  # the 6th call, limit 5


def test_it_shows_an_insights_invalidation_to_every_process(prefix):
    other_process(prefix, bumps=1)
    assert other_process(prefix, bumps=1)["version"] == 2


def test_it_starts_with_a_redis_cache_url_that_really_connects(monkeypatch, prefix):
    from django.core.cache.backends.redis import RedisCache

    monkeypatch.setenv("CACHE_URL", REDIS)
    config = env_cache("CACHE_URL")
    cache = RedisCache(config["LOCATION"], {"KEY_PREFIX": prefix})
    cache.set("ping", "pong")
    assert cache.get("ping") == "pong"
