"""Opaque identifiers. Integer keys never leave the database; URLs carry these instead."""

import secrets


def new_public_id() -> str:
    """128 random bits, URL-safe: good for object ids and customer-facing links alike."""
    return secrets.token_urlsafe(16)
