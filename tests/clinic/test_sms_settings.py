"""SMS settings choose the backend and refuse a half-configured Twilio at start-up (run in
a subprocess: settings load once)."""

import subprocess

import pytest
from django.conf import settings

from tests.clinic.test_startup import CHECK, environment

SHOW = [
    CHECK[0],
    "-c",
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SMS_BACKEND); print(settings.SMS_FILE_PATH)",
]
TWILIO_VARIABLES = (
    "SMS_BACKEND",
    "SMS_FILE_PATH",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_BASE",
)


def run(command, **env):
    clean = {k: v for k, v in environment().items() if k not in TWILIO_VARIABLES}
    return subprocess.run(
        command,
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_twilio_texts_go_to_files_under_var_sms(tmp_path):
    result = run(SHOW, VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "clinic.sms.backends.filebased.SmsBackend",
        str(tmp_path / "sms"),
    ]


def test_a_twilio_account_switches_to_the_twilio_backend():
    result = run(
        SHOW,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_FROM_NUMBER="+15875550100",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "clinic.sms.backends.twilio.SmsBackend"


def test_sms_backend_overrides_the_choice():
    result = run(
        SHOW,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        SMS_BACKEND="clinic.sms.backends.locmem.SmsBackend",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "clinic.sms.backends.locmem.SmsBackend"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TWILIO_ACCOUNT_SID": "AC" + "0" * 32}, "TWILIO_AUTH_TOKEN"),
        (
            {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token"},
            "TWILIO_FROM_NUMBER",
        ),
        ({"TWILIO_API_BASE": "api.twilio.com"}, "TWILIO_API_BASE must start with https://"),
    ],
)
def test_a_half_configured_twilio_refuses_to_start(env, message):
    result = run(CHECK, **env)
    assert result.returncode != 0
    assert message in result.stderr
