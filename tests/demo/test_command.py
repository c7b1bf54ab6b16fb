from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_it_prints_the_sign_in_address_it_is_given(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", address="http://127.0.0.1:8101", stdout=out)
    assert "Sign in at http://127.0.0.1:8101/login/ as owner@riverside.example" in out.getvalue()


def test_it_prints_the_site_url_without_an_address(db, settings, tmp_path):
    settings.VAR_DIR, settings.SITE_URL = tmp_path, "http://127.0.0.1:8123"
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Sign in at http://127.0.0.1:8123/login/" in out.getvalue()


def test_it_refuses_to_load_with_an_email_backend_that_really_sends(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with pytest.raises(CommandError, match="FOLLOWTHROUGH_DEMO=1"):
        call_command("demo", stdout=StringIO())
