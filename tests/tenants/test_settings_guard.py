import os
import subprocess
import sys


def run_check(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FOLLOWTHROUGH_DEMO"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "followthrough.settings"
    return subprocess.run(
        [sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key():
    result = run_check({})
    assert result.returncode != 0
    assert "SECRET_KEY is missing or is the demo key" in result.stderr


def test_it_refuses_the_demo_secret_key_outside_demo_mode():
    result = run_check({"SECRET_KEY": "demo-only-secret-key-never-use-in-production"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_starts_in_demo_mode_without_a_secret_key(tmp_path):
    result = run_check({"FOLLOWTHROUGH_DEMO": "1", "FOLLOWTHROUGH_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
