"""A small clinic that books online, shared by the public booking pages' tests
(``test_booking_*.py``): one location, one physiotherapist working 09:00-12:00 on
weekdays, an initial assessment for new patients and a needling follow-up, and a
returning patient cleared for needling (intake with consent, no contraindication)."""

from datetime import date, time, timedelta

import pytest
from django.urls import reverse

from clinic import links
from clinic.roles import Role
from intake.models import ConsentText, Intake
from sessions.booking.models import AppointmentType, WorkingHours
from sessions.online import signin
from sessions.online.models import OnlineBookingPolicy
from tests.factories import (
    LocationFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    UserFactory,
    clinic_time,
)

NOW = clinic_time(2026, 12, 1, 8)  # a Tuesday morning
MONDAY = date(2026, 12, 7)
RETURNING_EMAIL = "rita.returning@example.com"


@pytest.fixture
def physio_online(db):
    return UserFactory(username="online-physio", role=Role.PHYSIO, first_name="Priya")


@pytest.fixture
def location(physio_online):
    location = LocationFactory(name="Downtown", books_online=True)
    for weekday in range(5):
        WorkingHours.objects.create(
            practitioner=physio_online,
            location=location,
            weekday=weekday,
            starts=time(9),
            ends=time(12),
        )
    OnlineBookingPolicy.get().practitioners.add(physio_online)
    return location


@pytest.fixture
def assessment(db):
    return AppointmentType.objects.create(
        name="Initial assessment",
        duration_minutes=60,
        involves_needling=False,
        bookable_online=True,
        for_new_patients=True,
    )


@pytest.fixture
def follow_up(db):
    return AppointmentType.objects.create(
        name="IMS follow-up",
        duration_minutes=30,
        involves_needling=True,
        bookable_online=True,
        for_new_patients=False,
    )


@pytest.fixture
def authorisation(physio_online):
    return NeedlingAuthorisationFactory(practitioner=physio_online)


def submitted_intake(patient, *, surgery_on: date | None = None) -> Intake:
    """A submitted intake with consent: no contraindication, unless a surgery on
    ``surgery_on`` (needling not before 84 days after it)."""
    answers: dict = {"needles": {"pregnancy": "no", "needle_fear": "none"}}
    if surgery_on is not None:
        answers["surgeries"] = {
            "rows": [{"date": surgery_on.isoformat(), "description": "Knee arthroscopy"}]
        }
    consent = ConsentText.objects.first() or ConsentText.objects.create(body="I consent.")
    return Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=NOW - timedelta(days=30),
        answers=answers,
        consent=consent,
        signature_name=patient.legal_first_name,
    )


@pytest.fixture
def returning(db):
    patient = PatientFactory(
        legal_first_name="Rita", legal_last_name="Returning", email=RETURNING_EMAIL
    )
    submitted_intake(patient)
    return patient


def sign_in_as(client, patient) -> None:
    """What the email link does: this browser's session holds the verified patient."""
    check = signin.sign_in_request(email=patient.email, now=NOW)
    token = links.make_token(signin.SIGN_IN_PURPOSE, check.pk, check.nonce)
    response = client.post(reverse("sessions:online-signed-in", args=[token]))
    assert response.status_code == 302, response.content.decode()[-1500:]


def slot_value(practitioner, start) -> str:
    return f"{practitioner.pk}:{int(start.timestamp())}"


def slots_url(location, type) -> str:
    return reverse("sessions:online-slots", args=[location.pk, type.pk])


NEW_PERSON = {
    "first_name": "Nadia",
    "last_name": "Newcomer",
    "date_of_birth": "1988-04-12",
    "email": "nadia.new@example.com",
    "phone": "403 555 0199",
}
