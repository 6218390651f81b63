"""The sign-in, password-reset and second-factor forms, fuzzed: none fails, and each
signs in, mails or verifies only on the right input."""

import unicodedata
from collections import Counter
from urllib.parse import urlsplit

from axes.utils import reset as axes_reset
from django.core import mail
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from tests.clinic.fuzzing.conftest import assert_reached, post
from tests.clinic.fuzzing.strategies import FUZZ, form_data
from tests.factories import PASSWORD


def last(value) -> str:
    """The value a form reads from what was posted: the last one of a repeated field."""
    if isinstance(value, list):
        return value[-1] if value else ""
    return value or ""


def _safe_redirect(response) -> bool:
    """Sign-in redirects stay on this site (no open redirect through ``next``), read as a
    browser would: backslashes as slashes, leading controls and spaces ignored."""
    if response.status_code != 302:
        return True
    location = response["Location"].replace("\\", "/").lstrip("".join(map(chr, range(33))))
    parts = urlsplit(location)
    return parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver")


def test_fuzzed_login_never_fails_and_signs_in_only_with_the_password(client, physio):
    seen = Counter()  # outcomes, for assert_reached

    @FUZZ
    @given(
        data=form_data(
            {"username": "physio", "password": PASSWORD, "next": "/"},
            {
                "username": ["physio", "PHYSIO", "physio ", "frontdesk", ""],
                "password": [PASSWORD, "", " " + PASSWORD],
                "next": ["/", "//evil.example/", "https://evil.example/", "/\\evil.example"],
            },
        ),
        urlencoded=st.booleans(),
    )
    def check(data, urlencoded):
        client.logout()
        axes_reset()  # a lockout would hide the form from the remaining examples
        response = post(client, reverse("login"), data, urlencoded)
        signed_in = "_auth_user_id" in client.session
        seen[signed_in] += 1
        assert response.status_code in (200, 302), response.status_code
        if signed_in:  # as the form reads them: the last value, stripped, NFKC
            username = unicodedata.normalize("NFKC", last(data.get("username")).strip())
            assert username == "physio" and last(data.get("password")) == PASSWORD, data
        assert _safe_redirect(response), response["Location"]

    check()
    assert_reached(seen)


def test_fuzzed_password_reset_never_fails_and_mails_only_staff(
    client, physio, run_tasks, settings
):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = settings.PASSWORD_RESET_ACCOUNT_LIMIT = 10_000
    seen = Counter()  # outcomes, for assert_reached

    @FUZZ
    @given(
        data=form_data(
            {"email": "nobody@example.com"},
            {"email": [physio.email, physio.email.upper(), f" {physio.email} ", "a@b"]},
        ),
        urlencoded=st.booleans(),
    )
    def check(data, urlencoded):
        mail.outbox.clear()
        with run_tasks():
            response = post(client, reverse("password_reset"), data, urlencoded)
        seen[bool(mail.outbox)] += 1
        assert response.status_code in (200, 302), response.status_code
        assert all(message.to == [physio.email] for message in mail.outbox), data

    check()
    assert_reached(seen)


def test_fuzzed_second_factor_never_fails_and_verifies_only_a_right_code(client, physio):
    device = TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=physio, name="Backup codes")

    seen = Counter()  # outcomes, for assert_reached

    @FUZZ
    @given(
        data=form_data(
            {"token": "000000", "next": "/"},
            {
                "token": ["fuzzcode1", " fuzz code1 ", "123456", "", "0" * 17],
                "next": ["/", "//evil.example/", "https://evil.example/"],
            },
        ),
        urlencoded=st.booleans(),
    )
    def check(data, urlencoded):
        # A fresh session, password done, second factor not; a backup code to guess, and
        # no lockout left from earlier examples (it would refuse even the right code).
        client.logout()
        axes_reset()  # wrong codes count toward the sign-in lockout
        client.force_login(physio)
        StaticToken.objects.get_or_create(device=backup, token="fuzzcode1")
        response = post(client, reverse("mfa-verify"), data, urlencoded)
        verified = DEVICE_ID_SESSION_KEY in client.session
        seen[verified] += 1
        assert response.status_code in (200, 302), response.status_code
        if verified:
            right = {"fuzzcode1", f"{totp(device.bin_key):06d}"}
            assert "".join(last(data.get("token")).split()) in right, data
        assert _safe_redirect(response), response["Location"]

    check()
    assert_reached(seen)


def test_an_over_long_username_is_a_failed_login_not_a_server_error(client, physio):
    response = client.post(reverse("login"), {"username": "x" * 256, "password": "wrong"})
    assert response.status_code == 200
    # A length message reveals nothing about which accounts exist.
    assert "at most 150 characters" in response.content.decode()


def test_a_next_that_is_no_path_is_not_a_server_error_after_a_right_code(client, physio):
    TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=physio, name="Backup codes")
    StaticToken.objects.create(device=backup, token="fuzzcode1")
    client.force_login(physio)
    response = client.post(reverse("mfa-verify"), {"token": "fuzzcode1", "next": "0"})
    assert response.status_code == 302
    assert _safe_redirect(response)
