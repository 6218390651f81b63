"""Shared by the calendar view tests: a day seeded with appointments."""

from datetime import timedelta

from intake import services as intake_services
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import local, submitted_intake


def seed_day(physio, location, treatment, count, day=(2026, 11, 23), first=0):
    """``count`` back-to-back visits from 08:00, each for its own patient, one in
    three with a submitted intake (so the calendar computes real verdicts) and one in
    three invited to an intake not yet started."""
    for i in range(count):
        patient = PatientFactory()
        if i % 3 == 0:
            submitted_intake(
                patient,
                surgeries={"rows": [{"date": "2026-11-01", "description": "Hernia repair"}]},
            )
        elif i % 3 == 1:
            intake_services.intake_invite(patient=patient, sent_by=physio)
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(*day, 8) + timedelta(minutes=10 * (first + i)),
            minutes=10,
        )
