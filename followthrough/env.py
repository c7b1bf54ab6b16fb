"""Typed readers for environment variables. Settings come from the environment only,
and a malformed value stops start-up with a message naming the variable."""

import importlib.util
import os
from pathlib import Path


class ConfigError(Exception):
    pass


def env_str(name: str, default: str = "") -> str:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            message = f"{name}_FILE points to {file_path!r}, which cannot be read: {exc}"
            raise ConfigError(message) from None
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "")
    if raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name, "")
    if raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


REDIS_SCHEMES = ("redis", "rediss", "unix")


def env_cache(name: str) -> dict:
    """Django's CACHES["default"] from a URL: empty keeps local memory (right for one
    process); redis://, rediss:// or unix:// uses Django's own Redis backend, shared by
    every web process. Several comma-separated URLs: the first is written, the rest read."""
    raw = env_str(name, "").strip()
    if raw == "":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    urls = [url.strip() for url in raw.split(",") if url.strip()]
    for url in urls:
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if scheme not in REDIS_SCHEMES:
            raise ConfigError(f"{name} must be a redis://, rediss:// or unix:// URL, "
                              f"not {url[:40]!r}")
    if importlib.util.find_spec("redis") is None:
        raise ConfigError(f"{name} points to Redis, but the redis package is not installed "
                          "(pip install redis)")
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": urls[0] if len(urls) == 1 else urls}
