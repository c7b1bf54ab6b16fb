"""Opaque identifiers. Integer keys never leave the database; URLs carry these instead."""

import secrets
from base64 import urlsafe_b64encode

TOKEN_BYTES = 16  # 128 random bits


def new_public_id() -> str:
    """128 random bits, URL-safe: good for object ids and customer-facing links alike."""
    return secrets.token_urlsafe(TOKEN_BYTES)


# Base64 turns every 3 bytes into 4 characters. An id's 16 bytes followed by two zero bytes
# make 18, so one encoding of a whole batch gives 24 characters per id, and the first 22 of
# them are exactly what new_public_id() would show for those 16 bytes.
PADDED_BYTES = TOKEN_BYTES + 2
PADDED_CHARS = PADDED_BYTES // 3 * 4
ID_CHARS = -(-TOKEN_BYTES * 4 // 3)


def new_public_ids(count: int) -> list[str]:
    """`count` ids of the same kind as new_public_id(), from one read of the system's random
    source and one encoding: the bulk planner needs two per touchpoint, hundreds of
    thousands at a time."""
    random = secrets.token_bytes(TOKEN_BYTES * count)
    raw = bytearray(PADDED_BYTES * count)
    for at in range(TOKEN_BYTES):  # byte `at` of every id at once
        raw[at::PADDED_BYTES] = random[at::TOKEN_BYTES]
    text = urlsafe_b64encode(raw).decode("ascii")
    return [text[at:at + ID_CHARS] for at in range(0, len(text), PADDED_CHARS)]
