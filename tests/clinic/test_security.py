import json
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import audit
from clinic.models import AuditEvent
from intake import services as intake_services
from tests.factories import PASSWORD, PatientFactory, UserFactory


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


class TestMultiFactor:
    def test_a_physio_with_only_a_password_reaches_no_staff_page(self, client, physio):
        sign_in(client, "physio")
        for url in ("/", reverse("intake:patient-list"), reverse("sessions:calendar-day")):
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith("/accounts/mfa/")

    def test_the_admin_site_also_needs_the_second_factor(self, client, clinic_admin):
        sign_in(client, "clinicadmin")
        response = client.get("/admin/")
        assert response.status_code == 302 and response.url.startswith("/accounts/mfa/")

    def test_enrolment_with_a_qr_code_then_backup_codes(self, client, physio):
        sign_in(client, "physio")
        page = client.get(reverse("mfa-setup")).content.decode()
        assert "<svg" in page and "Cannot scan?" in page
        device = TOTPDevice.objects.get(user=physio, confirmed=False)
        wrong = client.post(reverse("mfa-setup"), {"token": "000000"}).content.decode()
        assert "That code is not right" in wrong
        # Straight after a miss, the right code works (no per-device pause).
        before = client.session.session_key
        response = client.post(reverse("mfa-setup"), {"token": current_code(device), "next": "/"})
        assert "Your backup codes" in response.content.decode()
        assert client.session.session_key != before
        assert StaticToken.objects.filter(device__user=physio).count() == 10
        assert client.get("/").status_code == 200

    def test_a_backup_code_works_once(self, client, physio):
        TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        backup = StaticDevice.objects.create(user=physio, name="backup")
        StaticToken.objects.create(device=backup, token="abcd1234")
        sign_in(client, "physio")
        assert client.post(reverse("mfa-verify"), {"token": "abcd1234"}).status_code == 302
        assert client.get("/").status_code == 200
        client.post(reverse("logout"))
        sign_in(client, "physio")
        response = client.post(reverse("mfa-verify"), {"token": "abcd1234"})
        page = response.content.decode()
        assert response.status_code == 200 and "Second step of sign-in" in page
        assert client.get("/").status_code == 302  # still not through

    def test_five_wrong_codes_sign_the_user_out(self, client, physio, settings):
        settings.AXES_FAILURE_LIMIT = 10  # the session's own limit, before the lockout's
        TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        sign_in(client, "physio")
        for _ in range(5):
            response = client.post(reverse("mfa-verify"), {"token": "999999"})
        assert response.url == reverse("login")
        assert client.get(reverse("mfa-verify")).status_code == 302

    def test_five_wrong_codes_also_pause_sign_in_from_that_address(self, client, physio):
        TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        sign_in(client, "physio")
        for _ in range(5):
            response = client.post(reverse("mfa-verify"), {"token": "999999"})
        assert response.status_code == 429 and "Sign-in paused" in response.content.decode()
        assert client.get(reverse("mfa-verify")).status_code == 302  # signed out

    def test_wrong_codes_from_a_stranger_do_not_lock_the_owner_out(self, physio):
        device = TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        backup = StaticDevice.objects.create(user=physio, name="backup")
        StaticToken.objects.create(device=backup, token="abcd1234")
        stranger = Client(REMOTE_ADDR="198.51.100.7")  # has the password, not the phone
        sign_in(stranger, "physio")
        for _ in range(4):
            page = stranger.post(reverse("mfa-verify"), {"token": "999999"}).content.decode()
            assert "That code is not right" in page
        owner = Client(REMOTE_ADDR="203.0.113.20")
        sign_in(owner, "physio")
        response = owner.post(reverse("mfa-verify"), {"token": current_code(device)})
        assert response.status_code == 302 and owner.get("/").status_code == 200
        # ... and the backup code too, from yet another session at the owner's address.
        spare = Client(REMOTE_ADDR="203.0.113.20")
        sign_in(spare, "physio")
        assert spare.post(reverse("mfa-verify"), {"token": "abcd1234"}).status_code == 302
        assert spare.get("/").status_code == 200

    def test_the_owner_s_right_code_works_in_another_session_at_the_same_address(self, physio):
        device = TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        guesser, owner = Client(), Client()
        sign_in(guesser, "physio")
        for _ in range(4):
            guesser.post(reverse("mfa-verify"), {"token": "999999"})
        sign_in(owner, "physio")
        response = owner.post(reverse("mfa-verify"), {"token": current_code(device)})
        assert response.status_code == 302 and owner.get("/").status_code == 200

    def test_wrong_codes_count_toward_the_sign_in_lockout(self, client, physio, settings):
        TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        for _ in range(settings.AXES_FAILURE_LIMIT - 2):
            sign_in(client, "physio", "wrong")
        sign_in(client, "physio")
        client.post(reverse("mfa-verify"), {"token": "999999"})
        response = client.post(reverse("mfa-verify"), {"token": "999999"})
        assert response.status_code == 429
        assert "Sign-in paused" in response.content.decode()
        assert "Sign-in paused" in sign_in(client, "physio").content.decode()

    def test_a_right_password_does_not_wipe_the_count_of_wrong_codes(
        self, client, physio, settings
    ):
        """Signing in again with the password cannot buy a guesser more codes."""
        TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post(reverse("logout"))
            sign_in(client, "physio")
            client.post(reverse("mfa-verify"), {"token": "999999"})
        client.post(reverse("logout"))
        sign_in(client, "physio")
        response = client.post(reverse("mfa-verify"), {"token": "999999"})
        assert response.status_code == 429

    def test_the_second_factor_issues_a_new_session_key(self, client, physio):
        device = TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        sign_in(client, "physio")
        before = client.session.session_key
        client.post(reverse("mfa-verify"), {"token": current_code(device)})
        assert client.get("/").status_code == 200
        assert client.session.session_key != before

    def test_front_desk_needs_no_second_factor_unless_the_clinic_asks(
        self, client, front_desk, settings
    ):
        sign_in(client, "frontdesk")
        assert client.get("/").status_code == 200
        settings.MFA_FRONT_DESK = True
        assert client.get("/").url.startswith("/accounts/mfa/")

    def test_an_admin_resets_a_lost_device(self, client_for, clinic_admin, physio):
        TOTPDevice.objects.create(user=physio, name="phone", confirmed=True)
        client = client_for(clinic_admin)
        assert "physio" in client.get(reverse("staff-access")).content.decode()
        client.post(reverse("mfa-reset", args=[physio.pk]))
        assert not TOTPDevice.objects.filter(user=physio).exists()
        assert AuditEvent.objects.filter(
            detail="staff account physio: second factor reset", object_id=str(physio.pk)
        ).exists()

    def test_only_admins_reset_devices(self, client_for, physio, front_desk):
        assert (
            client_for(physio).post(reverse("mfa-reset", args=[front_desk.pk])).status_code == 403
        )


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
        from axes.models import AccessAttempt

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


class TestHeaders:
    def test_content_security_policy_and_friends(self, client, db):
        response = client.get(reverse("login"))
        csp = response["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"

    def test_no_inline_script_or_style_in_any_template(self, settings):
        import re

        for path in (settings.BASE_DIR / "templates").rglob("*.html"):
            if "emails" in path.parts or path.name == "500.html":
                continue  # mail clients need inline styles; 500.html must not depend on static
            text = path.read_text()
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert " style=" not in text and "<style" not in text, path
            assert " onclick=" not in text and " onload=" not in text, path

    def test_static_files_keep_their_long_cache(self, settings, db):
        # Whitenoise serves from the finders here, as it does under DEBUG; production
        # serves the same files from STATIC_ROOT with the same headers.
        settings.WHITENOISE_USE_FINDERS = True
        settings.WHITENOISE_AUTOREFRESH = True
        settings.WHITENOISE_MAX_AGE = 31536000
        response = Client().get("/static/css/clinic.css")
        assert response.status_code == 200
        assert "max-age=31536000" in response["Cache-Control"]
        assert "no-store" not in response["Cache-Control"]

    def test_the_sign_in_page_and_errors_are_not_stored_either(self, client, db):
        for url in (reverse("login"), "/no-such-page/", reverse("healthz")):
            directives = client.get(url)["Cache-Control"]
            assert "no-store" in directives and "private" in directives, url

    def test_hsts_for_a_year_with_subdomains_when_https(self, settings, db):
        settings.SECURE_HSTS_SECONDS = 31536000
        settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        settings.SECURE_SSL_REDIRECT = False
        response = Client().get(reverse("login"), secure=True)
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


class TestAuditChain:
    def test_verify_passes_on_an_untouched_log(self, physio, rf):
        request = rf.get("/")
        request.user = physio
        for _ in range(5):
            audit.record(request, audit.Action.VIEW)
        call_command("audit_verify")

    def tamper(self, sql):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # As someone with the table owner's rights would: switch the guard off.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE clinic_auditevent DISABLE TRIGGER clinic_auditevent_append_only"
                )
            cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE clinic_auditevent ENABLE TRIGGER clinic_auditevent_append_only"
                )

    @pytest.fixture
    def rows(self, physio, rf):
        request = rf.get("/")
        request.user = physio
        return [audit.record(request, audit.Action.VIEW, detail=f"row {i}") for i in range(5)]

    def test_an_altered_row_is_named(self, rows):
        self.tamper(
            f"UPDATE clinic_auditevent SET detail = 'nothing to see' WHERE id = {rows[2].pk}"
        )
        with pytest.raises(CommandError, match=f"Audit row {rows[2].pk} was altered"):
            call_command("audit_verify")

    def test_a_removed_row_is_found(self, rows):
        self.tamper(f"DELETE FROM clinic_auditevent WHERE id = {rows[2].pk}")
        with pytest.raises(
            CommandError, match=f"Audit row {rows[3].pk}: the row before it was removed"
        ):
            call_command("audit_verify")


class TestBadLinks:
    def test_repeated_bad_links_are_refused_for_a_while(self, client, front_desk, settings):
        cache.clear()
        settings.BAD_LINK_LIMIT = 3
        patient = PatientFactory(email="p@example.com")
        good = intake_services.invitation_link(
            intake_services.intake_invite(patient=patient, sent_by=front_desk)
        ).removeprefix("http://127.0.0.1:8000")
        assert client.get(good).status_code == 302
        for _ in range(2):
            assert client.get(reverse("intake:fill", args=["bad"])).status_code == 404
        assert client.get(reverse("intake:fill", args=["bad"])).status_code == 429
        assert client.get(reverse("intake:fill", args=["bad2"])).status_code == 429
        assert (
            client.get(
                reverse("intake:fill", args=["bad"]), REMOTE_ADDR="198.51.100.20"
            ).status_code
            == 404
        )

    def test_bad_links_from_a_stranger_do_not_lock_patients_out(self, client, front_desk, settings):
        """The clinic's Wi-Fi is one address for everyone in the waiting room."""
        cache.clear()
        settings.BAD_LINK_LIMIT = 3
        patient = PatientFactory(email="p@example.com")
        good = intake_services.invitation_link(
            intake_services.intake_invite(patient=patient, sent_by=front_desk)
        ).removeprefix("http://127.0.0.1:8000")
        for _ in range(5):
            client.get(reverse("intake:fill", args=["bad"]))
        assert Client().get(good).status_code == 302
        cache.clear()


class TestExport:
    def test_physio_exports_the_record_as_json_and_it_is_audited(self, client_for, physio):
        patient = PatientFactory(legal_last_name="Quartermaine")
        response = client_for(physio).get(
            reverse("patient-export", args=[patient.pk]) + "?format=json"
        )
        data = json.loads(response.content)
        assert data["patient"]["legal_last_name"] == "Quartermaine"
        assert set(data) >= {"intakes", "health_updates", "appointments", "visits"}
        assert "attachment" in response["Content-Disposition"]
        assert AuditEvent.objects.filter(action="export", patient=patient).exists()

    def test_printable_export_page(self, client_for, physio):
        patient = PatientFactory()
        page = client_for(physio).get(reverse("patient-export", args=[patient.pk])).content.decode()
        assert "record of" in page

    def test_front_desk_and_admin_cannot_export(self, client_for, front_desk, clinic_admin):
        patient = PatientFactory()
        url = reverse("patient-export", args=[patient.pk])
        assert client_for(front_desk).get(url).status_code == 403
        assert client_for(clinic_admin).get(url).status_code == 403


def test_users_without_a_role_never_need_mfa_but_get_nothing(client, db):
    UserFactory(username="norole")
    sign_in(client, "norole")
    assert client.get("/").status_code == 403
