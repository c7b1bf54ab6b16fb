"""followthrough.crypto: small secrets encrypted at rest with a key derived from SECRET_KEY."""

import pytest
from django.core.management import call_command
from django.db import connection

from followthrough.crypto import SecretUnreadable, decrypt, encrypt
from followthrough.tenants.models import Business

TOKEN = "twilio-auth-token-3f9a1234"
OLD_KEY = "the-key-we-had-before-" + "o" * 40


def stored_token(business) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sms_auth_token FROM tenants_business WHERE id = %s",
                       [business.pk])
        return cursor.fetchone()[0]


def test_it_decrypts_what_it_encrypted():
    token = encrypt(TOKEN)
    assert token != TOKEN
    assert decrypt(token) == TOKEN


def test_it_encrypts_the_same_secret_differently_each_time():
    assert encrypt(TOKEN) != encrypt(TOKEN)


def test_it_refuses_a_token_made_with_another_key_with_a_clear_message(settings):
    settings.SECRET_KEY = OLD_KEY
    token = encrypt(TOKEN)
    settings.SECRET_KEY = "a-brand-new-key-" + "n" * 40
    with pytest.raises(SecretUnreadable, match="SECRET_KEY_FALLBACKS"):
        decrypt(token)


def test_it_refuses_a_tampered_token():
    token = encrypt(TOKEN)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(SecretUnreadable):
        decrypt(tampered)


def test_it_refuses_a_token_made_for_another_purpose():
    with pytest.raises(SecretUnreadable):
        decrypt(encrypt(TOKEN, purpose="mailbox passwords"))


def test_it_opens_an_old_token_with_a_key_in_secret_key_fallbacks(settings):
    settings.SECRET_KEY = OLD_KEY
    token = encrypt(TOKEN)
    settings.SECRET_KEY = "a-brand-new-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    assert decrypt(token) == TOKEN


def test_it_stores_no_plaintext_in_the_database(business):
    business.sms_auth_token = TOKEN
    business.save()
    raw = stored_token(business)
    assert TOKEN not in raw and "3f9a1234" not in raw
    assert decrypt(raw) == TOKEN
    assert Business.objects.get(pk=business.pk).sms_auth_token == TOKEN


def test_it_stores_an_empty_secret_as_empty(business):
    business.sms_auth_token = ""
    business.save()
    assert stored_token(business) == ""
    assert Business.objects.get(pk=business.pk).sms_auth_token == ""


def test_it_reads_an_unopenable_secret_as_not_set_and_keeps_it_on_save(business, settings):
    business.sms_auth_token = TOKEN
    business.save()
    before = stored_token(business)
    settings.SECRET_KEY = "a-brand-new-key-" + "n" * 40
    loaded = Business.objects.get(pk=business.pk)
    assert loaded.sms_auth_token == ""
    loaded.name = "Riverside Plumbing & Heating"
    loaded.save()
    assert stored_token(business) == before


def test_it_reencrypts_every_secret_under_the_current_key(business, settings):
    settings.SECRET_KEY = OLD_KEY
    business.sms_auth_token = TOKEN
    business.save()
    settings.SECRET_KEY = "a-brand-new-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    call_command("reencrypt")
    settings.SECRET_KEY_FALLBACKS = []
    assert decrypt(stored_token(business)) == TOKEN
