"""Sign-in throttling and how long a staff session lasts."""

from datetime import timedelta

import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from tests.clinic.security.conftest import sign_in
from tests.factories import PASSWORD


class TestLoginThrottling:
    def test_repeated_failures_lock_the_account_with_a_clear_page(
        self, client, front_desk, settings
    ):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = sign_in(client, "frontdesk", "wrong")
            assert "Please enter a correct username and password" in response.content.decode()
        response = sign_in(client, "frontdesk", "wrong")
        assert "Sign-in paused for this account" in response.content.decode()
        # Even the right password is refused while locked.
        assert "Sign-in paused" in sign_in(client, "frontdesk").content.decode()

    def test_unknown_user_and_wrong_password_look_the_same(self, client, front_desk):
        unknown = sign_in(client, "nobody-here", "wrong").content.decode()
        wrong = sign_in(client, "frontdesk", "wrong").content.decode()
        marker = "Please enter a correct username and password"
        assert marker in unknown and marker in wrong

    def test_an_admin_lifts_the_lockout(self, client_for, clinic_admin, front_desk, settings):
        other = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(other, "frontdesk", "wrong")

        attempt = AccessAttempt.objects.get(username="frontdesk")
        client_for(clinic_admin).post(reverse("lockout-unlock", args=[attempt.pk]))
        assert sign_in(other, "frontdesk").status_code == 302

    def test_every_sign_in_attempt_is_audited(self, client, front_desk):
        sign_in(client, "frontdesk", "wrong")
        sign_in(client, "frontdesk")
        actions = list(AuditEvent.objects.order_by("id").values_list("action", "detail"))
        assert ("login-fail", "username 'frontdesk'") in actions
        assert ("login", "signed in") in actions


class TestSessions:
    def test_idle_for_fifteen_minutes_signs_out(self, client, front_desk):
        with time_machine.travel("2026-11-21 15:00:00+00:00", tick=False) as clock:
            sign_in(client, "frontdesk")
            assert client.get("/").status_code == 200
            clock.shift(timedelta(minutes=14))
            assert client.get("/").status_code == 200
            clock.shift(timedelta(minutes=15, seconds=1))
            response = client.get("/")
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_the_absolute_lifetime_ends_an_active_session(self, client, front_desk, settings):
        settings.SESSION_COOKIE_AGE = 3600
        with time_machine.travel("2026-11-21 15:00:00+00:00", tick=False) as clock:
            sign_in(client, "frontdesk")
            for _ in range(6):
                clock.shift(timedelta(minutes=10))
                assert client.get("/").status_code == 200
            clock.shift(timedelta(minutes=1))
            assert client.get("/").status_code == 302

    def test_signing_in_issues_a_new_session_key(self, client, front_desk):
        client.get(reverse("login"))
        before = client.cookies["csrftoken"].value and client.session.session_key
        sign_in(client, "frontdesk")
        assert client.session.session_key != before

    def test_deactivating_a_user_ends_their_sessions(self, client, front_desk):
        sign_in(client, "frontdesk")
        front_desk.is_active = False
        front_desk.save()
        assert client.get("/").status_code == 302

    def test_changing_the_password_ends_other_sessions(self, front_desk):
        first, second = Client(), Client()
        sign_in(first, "frontdesk")
        sign_in(second, "frontdesk")
        new = "a-completely-new-passphrase"
        first.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
        assert first.get("/").status_code == 200
        assert second.get("/").status_code == 302
