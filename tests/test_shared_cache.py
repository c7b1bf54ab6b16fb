"""CACHE_URL: local memory for one process, Django's Redis backend for several; and the API
rate limit and the Insights invalidation count in that one configured cache, so two server
processes see the same numbers.

The cross-process tests start real Python processes that share a file-based cache: the
`redis` package is not installed here, so the Redis round trip itself is not run."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from followthrough import env
from followthrough.env import ConfigError, env_cache

ROOT = Path(__file__).resolve().parent.parent

PROCESS = textwrap.dedent("""
    import json, sys, types
    import django
    from django.conf import settings
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": sys.argv[1]}}
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


def other_process(cache_dir, calls=0, bumps=0) -> dict:
    """One server process: its own interpreter, Django and cache client."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                   "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROCESS, str(cache_dir), str(calls),
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


def test_it_counts_the_api_rate_limit_across_processes(tmp_path):
    assert other_process(tmp_path, calls=3)["refused"] == 0
    assert other_process(tmp_path, calls=3)["refused"] == 1  # the 6th call, limit 5


def test_it_shows_an_insights_invalidation_to_every_process(tmp_path):
    other_process(tmp_path, bumps=1)
    assert other_process(tmp_path, bumps=1)["version"] == 2
