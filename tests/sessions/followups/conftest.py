"""Shared by the follow-up tests: a signed needling visit, its sent check-in, booking an
appointment, and one run of the dispatcher that sends what is due."""

import uuid

import pytest

from sessions.booking import services
from sessions.followups import dispatch
from sessions.models import ScheduledMessage, Visit
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScheduledMessageFactory,
    VisitFactory,
)
from tests.sessions.conftest import NOW, local, submitted_intake


@pytest.fixture
def patient(db):
    patient = PatientFactory(email="marcus@example.com", email_reminders=True)
    submitted_intake(patient, needles={"pregnancy": "no"})
    return patient


def make_visit(physio, patient, location, treatment, start, end=None) -> Visit:
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=start,
        **({"end": end} if end else {}),
    )
    return VisitFactory(appointment=appointment, author=physio)


@pytest.fixture
def visit(physio, patient, location, treatment):
    return make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))


def checkin(visit, *, sign=True, **fields) -> ScheduledMessage:
    """A check-in of ``visit``, whose note is signed (only a signed note has them)."""
    if sign:
        Visit.objects.filter(pk=visit.pk, status=Visit.Status.DRAFT).update(
            status=Visit.Status.SIGNED, signed_at=NOW
        )
    defaults = dict(
        key=f"checkin:{visit.pk}:{uuid.uuid4().hex[:6]}", visit=visit, hours_after=None, due_at=NOW
    )
    return ScheduledMessageFactory(**{**defaults, **fields})


def dispatch_and_send(now=None):
    return [
        dispatch.messages_send(ids=[pk], claim=c, now=now)[pk]
        for pk, c in dispatch.messages_claim_due(now=now)
    ]


@pytest.fixture
def book_any(physio, location, treatment, front_desk, hours, patient):
    def book(start):
        return services.appointment_book(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
            created_by=front_desk,
        )

    return book


def reschedule(appointment, start):
    return services.appointment_reschedule(
        appointment=appointment,
        practitioner=appointment.practitioner,
        location=appointment.location,
        type=appointment.type,
        start=start,
    )
