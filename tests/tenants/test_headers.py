"""Security headers on every kind of page, and the production deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from followthrough.env import env_str

STRICT = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


def _assert_strict(response):
    policy = response["Content-Security-Policy"]
    for directive in STRICT.split("; "):
        assert directive in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("url", ["/login/", "/password/reset/", "/today/", "/customers/",
                                 "/settings/", "/settings/members/", "/settings/audit/",
                                 "/account/", "/playbooks/", "/no-such-page/"])
def test_it_sends_a_strict_csp_on_every_page_type(owner_client, url):
    _assert_strict(owner_client.get(url))


def test_it_sends_a_strict_csp_on_the_api(client, db):
    _assert_strict(client.get("/api/v1/customers"))


def test_it_sends_a_strict_csp_on_public_pages(client, db):
    response = client.get("/u/forged-token")
    _assert_strict(response)
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_keeps_tokens_out_of_the_referrer_on_token_pages(client, db):
    assert client.get("/ref/FORGED23")["Referrer-Policy"] == "no-referrer"
    assert client.get("/login/")["Referrer-Policy"] == "same-origin"


def test_it_sends_nosniff_and_deny_framing(client, db):
    response = client.get("/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_it_has_no_inline_script_or_style_in_templates():
    import re

    root = Path(__file__).resolve().parents[2] / "followthrough" / "templates"
    bad = []
    for path in root.rglob("*.html"):
        if "print" in path.parts:  # WeasyPrint sources for PDFs, never served as pages
            continue
        if "emails" in path.parts:  # email layouts: mail clients need inline styles
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text):
            bad.append(str(path))
        if re.search(r"\son[a-z]+\s*=", text) or "<style" in text:
            bad.append(str(path))
    assert bad == []


def test_it_serves_htmx_without_inline_script(owner_client):
    text = owner_client.get("/today/").text
    assert "<script>" not in text
    assert "<script src=" in text or "<script defer src=" in text or "htmx" in text


def _production_env(tmp_path, **extra):
    # A clean environment: only what a production host would set (the test run's own
    # variables, e.g. DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests, must not leak in).
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TZ"}}
    env.update({
        "SECRET_KEY": "p9T!x2#Lq8" * 6, "SITE_URL": "https://follow.example.com",
        "ALLOWED_HOSTS": "follow.example.com", "DEBUG": "0",
        "FOLLOWTHROUGH_VAR_DIR": str(tmp_path),
    })
    env.update(extra)
    return env


def _check(env):
    command = [str(Path(sys.executable).parent / "followthrough"), "check", "--deploy",
               "--fail-level", "WARNING"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])


def test_it_passes_the_deploy_check_under_production_settings(tmp_path):
    result = _check(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_reads_the_secret_key_from_a_file_in_the_deploy_check(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("F1le-B4sed-S3cret!" * 4 + "\n")
    env = _production_env(tmp_path, SECRET_KEY_FILE=str(secret))
    env.pop("SECRET_KEY")
    result = _check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_reads_any_setting_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "password"
    secret.write_text("s3cret from a file\n")
    monkeypatch.setenv("EMAIL_HOST_PASSWORD_FILE", str(secret))
    assert env_str("EMAIL_HOST_PASSWORD") == "s3cret from a file"
