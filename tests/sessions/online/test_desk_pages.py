"""The front desk's and clinic admin's online-booking pages (sessions/online/desk.py):
who may open them, the settings page, approving and declining online bookings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.roles import Role
from sessions.billing.models import BillingPolicy, MissedVisitFee
from sessions.booking.models import Appointment, AppointmentType
from sessions.online.desk_services import NOT_WAITING
from sessions.online.models import OnlineBookingPolicy
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, UserFactory
from tests.sessions.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(location):
    """An online booking at a location where front desk approves each one."""
    location.books_online = location.online_needs_approval = True
    location.save()
    return AppointmentFactory(
        patient=PatientFactory(legal_first_name="Rosa", email="rosa@example.com"),
        location=location,
        start=local(2026, 11, 23, 9),
        booked_online=True,
        needs_approval=True,
    )


# --- Who may open what ----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PHYSIO, Role.FRONT_DESK])
def test_only_the_clinic_admin_opens_the_online_settings(role, client_for):
    staff = UserFactory(role=role)
    response = client_for(staff).get(reverse("sessions:online-settings"))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="denied", user=staff).exists()


def test_a_physio_can_neither_list_approve_nor_decline(waiting, physio, client_for):
    client = client_for(physio)
    assert client.get(reverse("sessions:online-pending")).status_code == 403
    assert (
        client.post(reverse("sessions:appointment-approve", args=[waiting.pk])).status_code == 403
    )
    url = reverse("sessions:appointment-decline", args=[waiting.pk])
    assert client.post(url, {f"d{waiting.pk}-reason": "no"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.needs_approval and waiting.status == Appointment.Status.BOOKED
    event = AuditEvent.objects.filter(action="denied", user=physio).latest("id")
    assert event.patient == waiting.patient  # the refusal names whose booking was tried


def test_without_a_staff_login_nothing_is_reached(waiting, client):
    """A patient (no staff session) is sent to the sign-in page and changes nothing."""
    for url in (
        reverse("sessions:online-settings"),
        reverse("sessions:online-pending"),
    ):
        assert reverse("login") in client.get(url)["Location"]
    response = client.post(reverse("sessions:appointment-approve", args=[waiting.pk]))
    assert reverse("login") in response["Location"]
    waiting.refresh_from_db()
    assert waiting.needs_approval
    assert not mail.outbox


# --- The settings page ------------------------------------------------------------------


def _settings_post(location, type, physio, **policy) -> dict:
    data = {
        "policy-horizon_days": "30",
        "policy-min_notice_hours": "4",
        "policy-cancel_notice_hours": "24",
        "policy-hold_minutes": "10",
        "policy-confirm_minutes": "30",
        "policy-offer_minutes": "30",
        "policy-offers_per_slot": "3",
        "policy-practitioners": [str(physio.pk)],
        f"location-{location.pk}-books_online": "on",
        f"type-{type.pk}-bookable_online": "on",
        f"type-{type.pk}-for_new_patients": "on",
    }
    data.update({f"policy-{k}": v for k, v in policy.items()})
    return data


def test_the_admin_turns_online_booking_on_in_one_page(clinic_admin, physio, client_for):
    location = LocationFactory(name="Beltline", online_needs_approval=True)
    assessment = AppointmentType.objects.create(name="Initial assessment", duration_minutes=60)
    client = client_for(clinic_admin)
    page = client.get(reverse("sessions:online-settings"))
    assert page.status_code == 200
    assert "Beltline" in page.content.decode()
    response = client.post(
        reverse("sessions:online-settings"), _settings_post(location, assessment, physio)
    )
    assert response.status_code == 302
    location.refresh_from_db()
    assessment.refresh_from_db()
    policy = OnlineBookingPolicy.get()
    assert location.books_online and not location.online_needs_approval  # unticked: off
    assert assessment.bookable_online and assessment.for_new_patients
    assert (policy.horizon_days, policy.min_notice_hours) == (30, 4)
    assert list(policy.practitioners.all()) == [physio]
    event = AuditEvent.objects.filter(action="update", user=clinic_admin).latest("id")
    assert event.object_type == "treatment_sessions.onlinebookingpolicy"
    assert "Beltline" in event.detail and "horizon_days" in event.detail


def test_a_refused_setting_keeps_what_was_typed_and_saves_nothing(clinic_admin, physio, client_for):
    location = LocationFactory(name="Beltline")
    assessment = AppointmentType.objects.create(name="Initial assessment", duration_minutes=60)
    data = _settings_post(location, assessment, physio, horizon_days="400", hold_minutes="1")
    response = client_for(clinic_admin).post(reverse("sessions:online-settings"), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "At most 365 days ahead." in text
    assert "Hold a slot at least 2 minutes." in text
    assert 'value="400"' in text
    location.refresh_from_db()
    assert not location.books_online  # nothing saved, not even the valid parts
    assert OnlineBookingPolicy.get().horizon_days == 60


def test_a_practitioner_who_is_not_a_physio_cannot_be_chosen(clinic_admin, front_desk, client_for):
    location = LocationFactory(name="Beltline")
    assessment = AppointmentType.objects.create(name="Initial assessment", duration_minutes=60)
    data = _settings_post(location, assessment, front_desk)
    response = client_for(clinic_admin).post(reverse("sessions:online-settings"), data)
    assert response.status_code == 200
    assert not OnlineBookingPolicy.get().practitioners.exists()


# --- Approving and declining ------------------------------------------------------------


def test_the_pending_list_shows_who_when_with_whom_and_no_clinical_detail(
    waiting, front_desk, client_for
):
    waiting.front_desk_note = "secret note"
    waiting.eligibility_override = "cleared by phone"
    waiting.save()
    response = client_for(front_desk).get(reverse("sessions:online-pending"))
    text = response.content.decode()
    assert waiting.patient.full_name in text
    assert waiting.type.name in text
    assert "Mon 23 Nov 2026, 09:00" in text
    assert "cleared by phone" not in text and "secret note" not in text


def test_approving_sends_the_confirmation(
    waiting, front_desk, client_for, django_capture_on_commit_callbacks
):
    url = reverse("sessions:appointment-approve", args=[waiting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(url)
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert not waiting.needs_approval and waiting.status == Appointment.Status.BOOKED
    (sent,) = mail.outbox
    assert sent.to == ["rosa@example.com"]
    assert "booked" in sent.body
    assert AuditEvent.objects.filter(
        action="update", object_id=str(waiting.pk), detail="online booking approved"
    ).exists()


def test_the_clinic_admin_may_approve(waiting, clinic_admin, client_for):
    client_for(clinic_admin).post(reverse("sessions:appointment-approve", args=[waiting.pk]))
    waiting.refresh_from_db()
    assert not waiting.needs_approval


def test_approving_twice_says_it_is_no_longer_waiting(
    waiting, front_desk, client_for, django_capture_on_commit_callbacks
):
    client = client_for(front_desk)
    url = reverse("sessions:appointment-approve", args=[waiting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
        response = client.post(url, follow=True)
    assert NOT_WAITING in response.content.decode()
    assert len(mail.outbox) == 1


def test_declining_cancels_and_emails_the_patient_without_the_reason(
    waiting, front_desk, client_for, django_capture_on_commit_callbacks
):
    # A decline within the late-cancel window is the clinic's, not the patient's: no fee.
    policy = BillingPolicy.get()
    policy.late_cancel_fee_on, policy.late_cancel_fee = True, Decimal("40")
    policy.late_cancel_hours = 96
    policy.save()
    url = reverse("sessions:appointment-decline", args=[waiting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(
            url, {f"d{waiting.pk}-reason": "Needs a phone screen first"}
        )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Appointment.Status.CANCELLED
    assert not waiting.needs_approval
    assert "Needs a phone screen first" in waiting.cancellation_reason
    (sent,) = mail.outbox
    assert sent.to == ["rosa@example.com"]
    assert "could not confirm" in sent.body and "please call us" in sent.body
    assert "phone screen" not in sent.body and "phone screen" not in sent.subject
    assert not MissedVisitFee.objects.filter(
        appointment=waiting, status=MissedVisitFee.Status.PROPOSED
    ).exists()


def test_declining_without_a_reason_keeps_the_page_and_changes_nothing(
    waiting, front_desk, client_for
):
    url = reverse("sessions:appointment-decline", args=[waiting.pk])
    response = client_for(front_desk).post(url, {f"d{waiting.pk}-reason": "  "})
    assert response.status_code == 200
    assert "Please give the reason for declining." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Appointment.Status.BOOKED and waiting.needs_approval
    assert not mail.outbox


def test_a_front_desk_booking_cannot_be_declined_here(location, front_desk, client_for):
    booked = AppointmentFactory(location=location, start=local(2026, 11, 23, 10))
    url = reverse("sessions:appointment-decline", args=[booked.pk])
    response = client_for(front_desk).post(url, {f"d{booked.pk}-reason": "x"}, follow=True)
    assert NOT_WAITING in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_pending_list_s_queries_do_not_grow_with_bookings(location, front_desk, client_for):
    client = client_for(front_desk)
    url = reverse("sessions:online-pending")

    def book(n: int, first: int) -> None:
        for i in range(n):
            AppointmentFactory(
                location=location,
                start=local(2026, 11, 23, 8) + timedelta(minutes=30 * (first + i)),
                booked_online=True,
                needs_approval=True,
            )

    book(2, 0)
    client.get(url)
    few = _count(client, url)
    book(10, 2)
    assert _count(client, url) == few


def test_the_settings_page_s_queries_do_not_grow_with_locations_and_types(clinic_admin, client_for):
    client = client_for(clinic_admin)
    url = reverse("sessions:online-settings")
    LocationFactory()
    AppointmentType.objects.create(name="Type 0", duration_minutes=30)
    client.get(url)
    few = _count(client, url)
    for i in range(1, 8):
        LocationFactory()
        AppointmentType.objects.create(name=f"Type {i}", duration_minutes=30)
    assert _count(client, url) == few
