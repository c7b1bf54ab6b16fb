"""Small secrets at rest (an SMS auth token, a mailbox password), encrypted with Fernet.

The key is never stored: it is derived from SECRET_KEY with HKDF, with an info string
naming the purpose, so a key made for one purpose opens nothing else and SECRET_KEY itself
is never used as a cipher key. Every key in SECRET_KEY_FALLBACKS can still open old
values, so rotating SECRET_KEY loses nothing (docs/operations.md, "Rotating SECRET_KEY")."""

import functools
from base64 import urlsafe_b64encode

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

# Fixed and public on purpose: HKDF's salt separates this application's keys from any
# other use of the same SECRET_KEY; the secret part is SECRET_KEY alone.
SALT = b"followthrough.crypto"
SECRETS_AT_REST = "secrets at rest v1"


class SecretUnreadable(Exception):
    """The token was not made by any of this install's keys, or was changed since."""


@functools.lru_cache(maxsize=16)
def _fernet(secret: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT,
               info=purpose.encode()).derive(secret.encode())
    return Fernet(urlsafe_b64encode(key))


def keyring(purpose: str = SECRETS_AT_REST) -> MultiFernet:
    """The current key first (it encrypts), then one per SECRET_KEY_FALLBACKS (they only
    decrypt)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret, purpose) for secret in secrets])


def encrypt(plaintext: str, purpose: str = SECRETS_AT_REST) -> str:
    return keyring(purpose).encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str, purpose: str = SECRETS_AT_REST) -> str:
    return _decrypt(token, purpose, settings.SECRET_KEY,
                    tuple(getattr(settings, "SECRET_KEY_FALLBACKS", [])))


# The worker loads a business with every row it sends: opening its token once per process,
# not once per row, keeps that free (a Fernet decrypt is about 14 µs).
@functools.lru_cache(maxsize=256)
def _decrypt(token: str, purpose: str, *keys) -> str:
    try:
        return keyring(purpose).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable(
            "This secret cannot be decrypted with SECRET_KEY or any key in "
            "SECRET_KEY_FALLBACKS. It was saved under another SECRET_KEY: put that key in "
            "SECRET_KEY_FALLBACKS, or enter the secret again."
        ) from None


def rotate(token: str, purpose: str = SECRETS_AT_REST) -> str:
    """The same secret, encrypted again under the current SECRET_KEY."""
    try:
        return keyring(purpose).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable("This secret cannot be decrypted with any known key.") from None


class UnreadableSecret(str):
    """What an EncryptedTextField holds when its token opens with none of the keys: empty
    (so it reads as "not set" and nothing is sent with it), but it keeps the token, so
    saving the row for another reason does not destroy a secret that a restored
    SECRET_KEY_FALLBACKS entry would open again."""

    def __new__(cls, token: str):
        value = super().__new__(cls, "")
        value.token = token
        return value


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token, read back as plain text. An empty value is stored
    empty, so "not set" needs no key. Not searchable or orderable, by design."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return decrypt(value)
        except SecretUnreadable:
            return UnreadableSecret(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, UnreadableSecret):
            return value.token
        if not value:
            return value
        return encrypt(value)


def encrypted_fields():
    """(model, field name) for every EncryptedTextField in the project."""
    from django.apps import apps

    return [(model, field.name) for model in apps.get_models()
            for field in model._meta.get_fields()
            if isinstance(field, EncryptedTextField)]
