"""The second factor: enrolment, verification, backup codes, and who needs it."""

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import AuditEvent
from tests.clinic.security.conftest import sign_in
from tests.factories import UserFactory


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


def test_users_without_a_role_never_need_mfa_but_get_nothing(client, db):
    UserFactory(username="norole")
    sign_in(client, "norole")
    assert client.get("/").status_code == 403
