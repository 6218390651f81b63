"""Test data for the trend and progress-report tests: a course of charted visits with
needling sites and completed questionnaires. Plain builders (not a conftest, which
other outcome tests own)."""

import secrets
from datetime import timedelta
from decimal import Decimal

from sessions.booking.models import Appointment
from sessions.charting.models import NeedlingSite
from sessions.outcomes.models import Questionnaire
from tests.factories import (
    AppointmentFactory,
    MuscleFactory,
    NeedlingSiteFactory,
    PatientFactory,
    VisitFactory,
    clinic_time,
)


def questionnaire(
    patient, score, *, appointment=None, course=None, instrument="nprs", completed_at=None
) -> Questionnaire:
    """A completed questionnaire of ``instrument`` scoring ``score`` (None: not completed)."""
    if appointment is not None:
        course = course or appointment.course
        completed_at = completed_at or appointment.start - timedelta(hours=1)
    return Questionnaire.objects.create(
        patient=patient,
        instrument=instrument,
        course=course,
        appointment=appointment,
        trigger=Questionnaire.Trigger.VISIT,
        nonce=secrets.token_urlsafe(24),
        expires_at=(completed_at or clinic_time(2026, 12, 31)) + timedelta(days=7),
        completed_at=completed_at if score is not None else None,
        score=None if score is None else Decimal(score),
    )


def visits(patient, count, *, first=None, practitioner=None) -> list:
    """``count`` charted visits of the patient's open course, a week apart from
    ``first`` (clinic time), each with one gluteus medius site of 2 insertions."""
    first = first or clinic_time(2026, 10, 5, 9)
    made = []
    for n in range(count):
        fields = {"practitioner": practitioner} if practitioner else {}
        appointment = AppointmentFactory(
            patient=patient,
            start=first + timedelta(days=7 * n),
            status=Appointment.Status.COMPLETED,
            **fields,
        )
        visit = VisitFactory(appointment=appointment)
        NeedlingSiteFactory(visit=visit, insertions=2)
        made.append(visit)
    return made


def neck_and_back(visit) -> None:
    """Add an upper trapezius site (C5-C6 by its muscle, 3 insertions) and a lumbar
    multifidus site charted at L4-L5 (4 insertions) to ``visit``."""
    trapezius = MuscleFactory(name="Supraspinatus", region="shoulder", nerve_roots="C5-C6")
    multifidus = MuscleFactory(
        name="Multifidus", region="spine", nerve_roots="C1-S3", is_paraspinal=True
    )
    NeedlingSiteFactory(visit=visit, muscle=trapezius, insertions=3)
    NeedlingSiteFactory(
        visit=visit,
        muscle=multifidus,
        spinal_level="L4-L5",
        insertions=4,
        side=NeedlingSite.Side.RIGHT,
    )


def nprs_course(scores, *, physio=None):
    """A patient with one charted visit per score in ``scores`` (NPRS before each
    visit); returns (patient, visits)."""
    patient = PatientFactory()
    made = visits(patient, len(scores), practitioner=physio)
    for visit, score in zip(made, scores, strict=True):
        questionnaire(patient, score, appointment=visit.appointment)
    return patient, made
