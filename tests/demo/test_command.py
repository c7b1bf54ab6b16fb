from io import StringIO

from django.core.management import call_command


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
