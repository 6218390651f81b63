"""Settings refuse unsafe production starts (run in a subprocess: settings load once)."""

import os
import subprocess
import sys

from django.conf import settings

CHECK = [sys.executable, "-c", "import django; django.setup()"]


# Variables the test run itself sets (the browser tests allow async-unsafe ORM calls).
NOT_INHERITED = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def environment(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return {**clean, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env}


def run_settings(**env):
    return subprocess.run(
        CHECK,
        env=environment(**env),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_debug_the_app_refuses_to_start_without_a_secret_key():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_with_a_secret_key_and_debug_off_the_app_starts():
    result = run_settings(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_names_the_variable():
    result = run_settings(DEBUG="perhaps")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_production_configuration_passes_the_deploy_check():
    clean = environment(
        DEBUG="0",
        SECRET_KEY="a-production-secret-key-that-is-long-and-random-0123456789abcdefgh",
        ALLOWED_HOSTS="clinic.example.com",
        HTTPS="1",
        BEHIND_TLS_PROXY="1",
        SECURE_HSTS_PRELOAD="1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_mode_is_refused_for_a_public_host_name():
    result = run_settings(DEBUG="1", ALLOWED_HOSTS="clinic.example.com")
    assert result.returncode != 0
    assert "Set DEBUG=0 for any deployment" in result.stderr


def test_a_bare_checkout_starts_in_development_mode():
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    clean["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    result = subprocess.run(
        CHECK, env=clean, cwd=settings.BASE_DIR, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
