"""Staff access acts on other people's accounts only: a hijacked, fully signed-in admin
session must not swap its own second factor or reopen guessing at its own password."""

from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import AuditEvent


def lockout(username: str) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=username,
        ip_address="203.0.113.9",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
        failures_since_start=5,
    )


def test_an_admin_cannot_reset_their_own_authenticator(client_for, clinic_admin):
    client = client_for(clinic_admin)
    response = client.post(reverse("mfa-reset", args=[clinic_admin.pk]), follow=True)
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()
    assert "ask another clinic admin" in response.content.decode()
    assert not AuditEvent.objects.filter(detail__contains="second factor reset").exists()


def test_another_admin_can_reset_it(client_for, clinic_admin, physio):
    client_for(physio)  # enrols the test device
    client = client_for(clinic_admin)
    client.post(reverse("mfa-reset", args=[physio.pk]))
    assert not TOTPDevice.objects.filter(user=physio).exists()


def test_staff_access_offers_no_reset_on_one_s_own_row(client_for, clinic_admin, physio):
    client_for(physio)
    page = client_for(clinic_admin).get(reverse("staff-access")).content.decode()
    assert reverse("mfa-reset", args=[physio.pk]) in page
    assert reverse("mfa-reset", args=[clinic_admin.pk]) not in page


def test_an_admin_cannot_lift_a_lockout_on_their_own_account(client_for, clinic_admin):
    attempt = lockout(clinic_admin.username)
    client = client_for(clinic_admin)
    page = client.get(reverse("staff-access")).content.decode()
    assert reverse("lockout-unlock", args=[attempt.pk]) not in page
    response = client.post(reverse("lockout-unlock", args=[attempt.pk]), follow=True)
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert "ask another clinic admin" in response.content.decode()


def test_an_admin_can_lift_someone_else_s_lockout(client_for, clinic_admin, physio):
    attempt = lockout(physio.username)
    client_for(clinic_admin).post(reverse("lockout-unlock", args=[attempt.pk]))
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
