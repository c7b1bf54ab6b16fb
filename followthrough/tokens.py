"""Opaque identifiers. Integer keys never leave the database; URLs carry these instead."""

import secrets
from base64 import urlsafe_b64encode

TOKEN_BYTES = 16  # 128 random bits


def new_public_id() -> str:
    """128 random bits, URL-safe: good for object ids and customer-facing links alike."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_public_ids(count: int) -> list[str]:
    """`count` ids of the same kind as new_public_id(), from one read of the system's random
    source: the bulk planner needs two per touchpoint, hundreds of thousands at a time."""
    raw = secrets.token_bytes(TOKEN_BYTES * count)
    return [urlsafe_b64encode(raw[at:at + TOKEN_BYTES]).rstrip(b"=").decode("ascii")
            for at in range(0, len(raw), TOKEN_BYTES)]
